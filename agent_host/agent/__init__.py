"""The two brains behind one toolset: `scripted` (the offline default: intent rules and a state machine) and
`llm` (the Line SDK's `LlmAgent` on OpenAI through LiteLLM), with `nlu` and `phrasing` for the scripted one."""
