"""The consolidated response's key points: the contributions to each question grouped into
themes by meaning, across languages, each with a label, counts and exact quotes, for the
organisers to review before anything is published.

- `grouping`: themes from the stored multilingual embeddings (scikit-learn);
- `phrases`: a theme's label, key phrases by YAKE compared by their lemmas (simplemma);
- `quotes`: sentences exactly as written (segtok);
- `build`: one question's themes, grouped afresh or brought up to date from a review;
- `draft`: the synthesis as stored and as the YAML file organisers edit; `review` checks it;
- `store` and `making`: reading members and embeddings, keeping the synthesis, per question;
- `wording`: what every report format says about it; `chat`: /synthesis;
- `evaluation`: the grouping against a careful reader's labels.
"""
