// Archer on Azure, deployed with `azd up`: the function app (API, Twilio webhooks, Durable campaigns) on Flex
// Consumption, the agent host on Container Apps, the admin UI on Static Web Apps, PostgreSQL flexible server,
// Azure Managed Redis, Key Vault, and Log Analytics + Application Insights. Every resource is tagged, sends its
// diagnostics to Log Analytics, and is reached by the apps with their managed identities. Local modules only.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name: names the resource group and goes into every resource name and tag.')
param environmentName string

@minLength(1)
@description('Azure region for everything but the Static Web App.')
param location string

@description('Region of the Static Web App (it runs in a few regions only).')
@allowed([
  'westus2'
  'centralus'
  'eastus2'
  'westeurope'
  'eastasia'
])
param staticWebAppLocation string = 'eastus2'

@description('Resource group name; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Tags added to every resource, on top of azd-env-name and application.')
param extraTags object = {}

@description('High availability: zone-redundant PostgreSQL standby, replicated Redis, zone-redundant storage.')
param highAvailability bool = false

@description('PostgreSQL major version (15 or later).')
@allowed([
  '15'
  '16'
  '17'
])
param postgresVersion string = '16'

@description('PostgreSQL compute SKU.')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('PostgreSQL compute tier.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

@description('PostgreSQL storage in GiB.')
param postgresStorageGB int = 64

@description('PostgreSQL point-in-time backup retention in days.')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 14

@description('Azure Managed Redis SKU.')
param redisSkuName string = 'Balanced_B1'

@description('Function app: most instances.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Agent host: fewest replicas (at least one).')
@minValue(1)
param agentMinReplicas int = 1

@description('Agent host: most replicas.')
@minValue(1)
param agentMaxReplicas int = 10

@description('Agent host: concurrent calls per replica before scaling out.')
@minValue(1)
param agentCallsPerReplica int = 40

@description('Agent image set by `azd deploy` (SERVICE_AGENT_IMAGE_NAME); empty on the first provision.')
param agentImageName string = ''

@description('Durable Functions task hub name.')
param taskHubName string = 'ArcherHub'

@description('Public https URL of the API as Twilio sees it (a custom domain); empty for the default host name.')
param publicBaseUrl string = ''

@description('Object id of an Entra group of operators: Key Vault secrets officer and PostgreSQL administrator.')
param operatorsGroupObjectId string = ''

@description('Display name of that group (its PostgreSQL role name).')
param operatorsGroupName string = ''

@description('Twilio account SID.')
param twilioAccountSid string

@description('Caller id of outbound calls when the organization sets none (TWILIO_FROM_NUMBER, E.164).')
param twilioFromNumber string = ''

@description('SIP address of the agent that Twilio bridges answered calls to (ARCHER_AGENT_SIP_URI).')
param agentSipUri string = ''

@description('Twilio auth token to write to Key Vault; empty keeps the vault\'s (set it there before the first deploy).')
@secure()
param twilioAuthToken string = ''

@description('Shared secret the Cartesia harness presents to the agent host (ARCHER_AGENT_TOKEN) to write to Key Vault; empty keeps the vault\'s (set it there before the first deploy).')
@secure()
param agentToken string = ''

@description('Use the LLM brain: the apps read openai-api-key from Key Vault.')
param openAiEnabled bool = false

@description('OpenAI API key to write to Key Vault; empty keeps the vault\'s.')
@secure()
param openAiApiKey string = ''

@description('The apps read cartesia-api-key from Key Vault.')
param cartesiaEnabled bool = false

@description('Cartesia API key to write to Key Vault; empty keeps the vault\'s.')
@secure()
param cartesiaApiKey string = ''

@description('The function app reads archer-bootstrap-api-key from Key Vault.')
param bootstrapKeyEnabled bool = false

@description('Bootstrap API key of the first organization to write to Key Vault; empty keeps the vault\'s.')
@secure()
param bootstrapApiKey string = ''

var abbreviations = {
  resourceGroup: 'rg-'
  identity: 'id-'
  workspace: 'log-'
  appInsights: 'appi-'
  keyVault: 'kv-'
  storage: 'st'
  registry: 'cr'
  postgres: 'psql-'
  redis: 'redis-'
  plan: 'plan-'
  functionApp: 'func-'
  containerEnvironment: 'cae-'
  containerApp: 'ca-'
  job: 'caj-'
  staticSite: 'stapp-'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = union(extraTags, {
  'azd-env-name': environmentName
  application: 'archer'
})
var functionAppName = '${abbreviations.functionApp}archer-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? '${abbreviations.resourceGroup}${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    workspaceName: '${abbreviations.workspace}${resourceToken}'
    appInsightsName: '${abbreviations.appInsights}${resourceToken}'
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  scope: rg
  params: {
    location: location
    tags: tags
    apiIdentityName: '${abbreviations.identity}archer-api-${resourceToken}'
    agentIdentityName: '${abbreviations.identity}archer-agent-${resourceToken}'
  }
}

module telemetryPublishers 'modules/telemetry-access.bicep' = {
  name: 'telemetry-access'
  scope: rg
  params: {
    appInsightsName: monitoring.outputs.appInsightsName
    publisherPrincipalIds: [
      identities.outputs.apiIdentityPrincipalId
      identities.outputs.agentIdentityPrincipalId
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbreviations.keyVault}${resourceToken}'
    workspaceId: monitoring.outputs.workspaceId
    readerPrincipalIds: [
      identities.outputs.apiIdentityPrincipalId
      identities.outputs.agentIdentityPrincipalId
    ]
    secretsOfficerPrincipalId: operatorsGroupObjectId
    twilioAuthToken: twilioAuthToken
    agentToken: agentToken
    openAiEnabled: openAiEnabled || !empty(openAiApiKey)
    openAiApiKey: openAiApiKey
    cartesiaEnabled: cartesiaEnabled || !empty(cartesiaApiKey)
    cartesiaApiKey: cartesiaApiKey
    bootstrapKeyEnabled: bootstrapKeyEnabled || !empty(bootstrapApiKey)
    bootstrapApiKey: bootstrapApiKey
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbreviations.storage}${resourceToken}'
    deploymentContainerName: 'deployments'
    functionPrincipalId: identities.outputs.apiIdentityPrincipalId
    workspaceId: monitoring.outputs.workspaceId
    zoneRedundant: highAvailability
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbreviations.registry}${resourceToken}'
    pullPrincipalId: identities.outputs.agentIdentityPrincipalId
    workspaceId: monitoring.outputs.workspaceId
  }
}

var appAdministrators = [
  {
    principalId: identities.outputs.apiIdentityPrincipalId
    principalName: identities.outputs.apiIdentityName
    principalType: 'ServicePrincipal'
  }
  {
    principalId: identities.outputs.agentIdentityPrincipalId
    principalName: identities.outputs.agentIdentityName
    principalType: 'ServicePrincipal'
  }
]
var operatorAdministrators = empty(operatorsGroupObjectId) ? [] : [
  {
    principalId: operatorsGroupObjectId
    principalName: operatorsGroupName
    principalType: 'Group'
  }
]

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbreviations.postgres}${resourceToken}'
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageGB
    backupRetentionDays: postgresBackupRetentionDays
    zoneRedundantHa: highAvailability
    administrators: concat(appAdministrators, operatorAdministrators)
    workspaceId: monitoring.outputs.workspaceId
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  scope: rg
  params: {
    location: location
    tags: tags
    name: '${abbreviations.redis}${resourceToken}'
    skuName: redisSkuName
    highAvailability: highAvailability
    keyVaultName: keyVault.outputs.name
    workspaceId: monitoring.outputs.workspaceId
  }
}

module web 'modules/staticwebapp.bicep' = {
  name: 'web'
  scope: rg
  params: {
    location: staticWebAppLocation
    tags: tags
    name: '${abbreviations.staticSite}archer-${resourceToken}'
  }
}

module api 'modules/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    location: location
    tags: tags
    name: functionAppName
    planName: '${abbreviations.plan}archer-${resourceToken}'
    identityId: identities.outputs.apiIdentityId
    identityClientId: identities.outputs.apiIdentityClientId
    identityName: identities.outputs.apiIdentityName
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceId: monitoring.outputs.workspaceId
    postgresHost: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    redisUrlSecretUri: redis.outputs.redisUrlSecretUri
    twilioAuthTokenSecretUri: keyVault.outputs.twilioAuthTokenSecretUri
    twilioAccountSid: twilioAccountSid
    twilioFromNumber: twilioFromNumber
    agentSipUri: agentSipUri
    openAiApiKeySecretUri: keyVault.outputs.openAiApiKeySecretUri
    cartesiaApiKeySecretUri: keyVault.outputs.cartesiaApiKeySecretUri
    bootstrapApiKeySecretUri: keyVault.outputs.bootstrapApiKeySecretUri
    taskHubName: taskHubName
    publicBaseUrl: publicBaseUrl
    corsAllowedOrigins: [
      web.outputs.url
    ]
    maximumInstanceCount: functionMaximumInstanceCount
  }
}

module agent 'modules/containerapps.bicep' = {
  name: 'agent'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: '${abbreviations.containerEnvironment}${resourceToken}'
    appName: '${abbreviations.containerApp}archer-agent-${resourceToken}'
    migrationJobName: '${abbreviations.job}migrate-${resourceToken}'
    imageName: agentImageName
    registryLoginServer: registry.outputs.loginServer
    identityId: identities.outputs.agentIdentityId
    identityClientId: identities.outputs.agentIdentityClientId
    identityName: identities.outputs.agentIdentityName
    appInsightsName: monitoring.outputs.appInsightsName
    workspaceId: monitoring.outputs.workspaceId
    postgresHost: postgres.outputs.fqdn
    postgresDatabase: postgres.outputs.databaseName
    redisUrlSecretUri: redis.outputs.redisUrlSecretUri
    twilioAuthTokenSecretUri: keyVault.outputs.twilioAuthTokenSecretUri
    agentTokenSecretUri: keyVault.outputs.agentTokenSecretUri
    twilioAccountSid: twilioAccountSid
    openAiApiKeySecretUri: keyVault.outputs.openAiApiKeySecretUri
    cartesiaApiKeySecretUri: keyVault.outputs.cartesiaApiKeySecretUri
    publicBaseUrl: api.outputs.publicBaseUrl
    minReplicas: agentMinReplicas
    maxReplicas: agentMaxReplicas
    callsPerReplica: agentCallsPerReplica
  }
}

// What azd and the pipelines read (azd stores them in .azure/<env>/.env). No secret is among them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = agent.outputs.environmentName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output ARCHER_FUNCTION_APP_NAME string = api.outputs.name
output ARCHER_API_URL string = '${api.outputs.publicBaseUrl}/api/v1'
output ARCHER_TWILIO_VOICE_URL string = '${api.outputs.publicBaseUrl}/api/v1/twilio/voice'
output ARCHER_TWILIO_STATUS_URL string = '${api.outputs.publicBaseUrl}/api/v1/twilio/status'
output ARCHER_AGENT_APP_NAME string = agent.outputs.appName
output ARCHER_AGENT_URL string = agent.outputs.url
output ARCHER_AGENT_WEBSOCKET_URL string = 'wss://${agent.outputs.fqdn}/ws'
output ARCHER_MIGRATION_JOB_NAME string = agent.outputs.migrationJobName
output ARCHER_WEB_URL string = web.outputs.url
output ARCHER_POSTGRES_HOST string = postgres.outputs.fqdn
output ARCHER_POSTGRES_DATABASE string = postgres.outputs.databaseName
