#!/bin/sh
# Migrate the database to the newest revision with the image just deployed: point the migration job
# (`archer db upgrade` as the agent identity, which signs in to PostgreSQL with Entra) at that image, start it,
# and wait for it. Run by azd after `azd deploy agent` and by the deploy workflow; exits non-zero when the
# migration fails, so the API is not deployed on a schema it does not know.
# Needs: az (logged in), AZURE_RESOURCE_GROUP, ARCHER_MIGRATION_JOB_NAME, SERVICE_AGENT_IMAGE_NAME.
set -eu

: "${AZURE_RESOURCE_GROUP:?set by azd provision}"
: "${ARCHER_MIGRATION_JOB_NAME:?set by azd provision}"
: "${SERVICE_AGENT_IMAGE_NAME:?set by azd deploy agent}"
timeout_seconds="${ARCHER_MIGRATION_TIMEOUT:-1800}"

echo "migrations: job ${ARCHER_MIGRATION_JOB_NAME} with ${SERVICE_AGENT_IMAGE_NAME}"
az containerapp job update \
  --name "$ARCHER_MIGRATION_JOB_NAME" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --container-name migrate \
  --image "$SERVICE_AGENT_IMAGE_NAME" \
  --command archer \
  --args db upgrade \
  --output none

execution="$(az containerapp job start \
  --name "$ARCHER_MIGRATION_JOB_NAME" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --query name --output tsv)"
echo "migrations: execution ${execution} started"

waited=0
while :; do
  status="$(az containerapp job execution show \
    --name "$ARCHER_MIGRATION_JOB_NAME" \
    --resource-group "$AZURE_RESOURCE_GROUP" \
    --job-execution-name "$execution" \
    --query properties.status --output tsv)"
  case "$status" in
    Succeeded)
      echo "migrations: done"
      exit 0
      ;;
    Failed | Stopped | Degraded)
      echo "migrations: execution ${execution} ended ${status}; see its logs in Log Analytics" >&2
      exit 1
      ;;
  esac
  if [ "$waited" -ge "$timeout_seconds" ]; then
    echo "migrations: still ${status} after ${timeout_seconds}s" >&2
    exit 1
  fi
  sleep 10
  waited=$((waited + 10))
done
