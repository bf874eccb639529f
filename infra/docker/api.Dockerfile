# syntax=docker/dockerfile:1
# The function app in the Azure Functions host, for the local prod-like stack (docker-compose.yml); Azure runs the
# same code on Flex Consumption. Build from the repository root.
FROM mcr.microsoft.com/azure-functions/python:4-python3.11
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt
COPY function_app.py host.json /home/site/wwwroot/
COPY shared /home/site/wwwroot/shared
COPY functions /home/site/wwwroot/functions
