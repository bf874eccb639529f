"""The voice agent host: a Cartesia Line `VoiceAgentApp` that builds one agent per call (`app.py`), the
agent's tools (`tools.py`), the output guard around either brain (`guard.py`), the brains (`agent/`), the
per-call record keeper (`recorder.py`) and simulated customers that speak the Line harness protocol
(`simulator/`). Thin: every rule it applies lives in `shared.policy` and `shared.services`."""

import os

# LiteLLM (under the Line SDK's LlmAgent) fetches a model cost map at import unless told not to; the agent
# host must start offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
