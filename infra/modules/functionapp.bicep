// The function app (REST API, Twilio webhooks, Durable campaign orchestrations) on Flex Consumption, Python
// 3.11, running as its user-assigned identity: identity-based AzureWebJobsStorage for the Durable task hub,
// Entra sign-in to PostgreSQL, Key Vault references for every secret, telemetry to Application Insights with
// Entra auth (the Python worker's OpenTelemetry integration on).

@description('Azure region.')
param location string

@description('Tags for every resource (the site also gets azd-service-name: api).')
param tags object

@description('Function app name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Resource id of the function app identity.')
param identityId string

@description('Client id of the function app identity.')
param identityClientId string

@description('Name of the function app identity (its PostgreSQL user name).')
param identityName string

@description('Storage account name.')
param storageAccountName string

@description('Blob URL of the deployment container.')
param deploymentContainerUrl string

@description('Application Insights component name.')
param appInsightsName string

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

@description('PostgreSQL server host name.')
param postgresHost string

@description('PostgreSQL database name.')
param postgresDatabase string

@description('Key Vault secret URI of the Redis URL (with its access key).')
param redisUrlSecretUri string

@description('Key Vault secret URI of the Twilio auth token.')
param twilioAuthTokenSecretUri string

@description('Twilio account SID (an identifier, not a secret).')
param twilioAccountSid string

@description('Caller id of outbound calls when the organization sets none (E.164); empty: the organization\'s.')
param twilioFromNumber string = ''

@description('SIP address of the agent that answered calls are bridged to; empty: calls are refused politely.')
param agentSipUri string = ''

@description('Key Vault secret URI of the OpenAI key; empty for the scripted brain.')
param openAiApiKeySecretUri string = ''

@description('Key Vault secret URI of the Cartesia key; empty when not used.')
param cartesiaApiKeySecretUri string = ''

@description('Key Vault secret URI of the bootstrap API key; empty when not used.')
param bootstrapApiKeySecretUri string = ''

@description('Durable Functions task hub name.')
param taskHubName string

@description('Public https base URL Twilio signs webhooks against; empty means the default host name.')
param publicBaseUrl string = ''

@description('Origins allowed to call the API from a browser (the admin UI).')
param corsAllowedOrigins array = []

@description('Maximum instances the plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('More app settings (plain values only: secrets go through Key Vault references).')
param extraAppSettings object = {}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var keyVaultReference = '@Microsoft.KeyVault(SecretUri={0})'
var baseUrl = empty(publicBaseUrl) ? 'https://${name}.azurewebsites.net' : publicBaseUrl

var baseSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
  LITELLM_LOCAL_MODEL_COST_MAP: 'True'
  AZURE_CLIENT_ID: identityClientId
  ARCHER_ENV: 'production'
  ARCHER_LOG_FORMAT: 'json'
  ARCHER_TASK_HUB: taskHubName
  ARCHER_DATABASE_URL: 'postgresql+psycopg://${identityName}@${postgresHost}:5432/${postgresDatabase}?sslmode=require'
  ARCHER_DATABASE_AUTH: 'entra'
  ARCHER_REDIS_URL: format(keyVaultReference, redisUrlSecretUri)
  ARCHER_PUBLIC_BASE_URL: baseUrl
  TWILIO_ACCOUNT_SID: twilioAccountSid
  TWILIO_AUTH_TOKEN: format(keyVaultReference, twilioAuthTokenSecretUri)
  TWILIO_FROM_NUMBER: twilioFromNumber
  ARCHER_AGENT_SIP_URI: agentSipUri
}

var optionalSecretSettings = union(
  empty(openAiApiKeySecretUri) ? {} : { OPENAI_API_KEY: format(keyVaultReference, openAiApiKeySecretUri) },
  empty(cartesiaApiKeySecretUri) ? {} : { CARTESIA_API_KEY: format(keyVaultReference, cartesiaApiKeySecretUri) },
  empty(bootstrapApiKeySecretUri) ? {} : { ARCHER_BOOTSTRAP_API_KEY: format(keyVaultReference, bootstrapApiKeySecretUri) }
)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(baseSettings, optionalSecretSettings, extraAppSettings)
}

// Deployments authenticate with Entra (azd, the pipeline's OIDC login); basic publishing credentials are off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource siteDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource planDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: plan
  properties: {
    workspaceId: workspaceId
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output publicBaseUrl string = baseUrl
