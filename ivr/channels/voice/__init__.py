"""The voice channel: Twilio's voice webhooks, keys and speech read into intents, answers as TwiML."""
