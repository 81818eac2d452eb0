"""Discussion files. `m4d-2013.yaml` is the example `facilitator run` loads by default."""
