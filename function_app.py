"""Composition root of the Azure Function app: builds the `df.DFApp` and registers the blueprints. No rule or
query lives here."""

import os

# LiteLLM (under the Line SDK) fetches a model cost map at import unless told not to; keep imports offline.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import azure.durable_functions as df
import azure.functions as func

from functions.campaigns.blueprint import bp as campaigns_bp
from functions.http import bp as http_bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(http_bp)
app.register_functions(campaigns_bp)
