"""Adapters to the outside world, each behind a small port with an offline default: cache and event bus,
telephony (Twilio), language models (OpenAI), payments."""
