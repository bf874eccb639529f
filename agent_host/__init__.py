"""The agent host: the Cartesia Line SDK voice agent (`VoiceAgentApp`) and the live-event Socket.IO server."""
