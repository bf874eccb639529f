// The agent host on Azure Container Apps: always at least one replica (Cartesia's harness holds a websocket per
// call), external HTTPS ingress that carries websockets, liveness and readiness probes on /status, and a scale
// rule on concurrent calls (each call is one open connection). The same image runs `archer db upgrade` as a
// manually started job, which the deploy step starts before new code serves.

@description('Azure region.')
param location string

@description('Tags for every resource (the agent app also gets azd-service-name: agent).')
param tags object

@description('Container Apps environment name.')
param environmentName string

@description('Agent host container app name.')
param appName string

@description('Migration job name.')
param migrationJobName string

@description('Agent image (registry/repository:tag); empty before the first `azd deploy`, which sets it.')
param imageName string = ''

@description('Registry login server the image is pulled from.')
param registryLoginServer string

@description('Resource id of the agent identity.')
param identityId string

@description('Client id of the agent identity.')
param identityClientId string

@description('Name of the agent identity (its PostgreSQL user name).')
param identityName string

@description('Application Insights component name.')
param appInsightsName string

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

@description('PostgreSQL server host name.')
param postgresHost string

@description('PostgreSQL database name.')
param postgresDatabase string

@description('Key Vault secret URI of the Redis URL.')
param redisUrlSecretUri string

@description('Key Vault secret URI of the Twilio auth token.')
param twilioAuthTokenSecretUri string

@description('Key Vault secret URI of the agent token the Cartesia harness presents (ARCHER_AGENT_TOKEN).')
param agentTokenSecretUri string

@description('Twilio account SID (an identifier, not a secret).')
param twilioAccountSid string

@description('Key Vault secret URI of the OpenAI key; empty for the scripted brain.')
param openAiApiKeySecretUri string = ''

@description('Key Vault secret URI of the Cartesia key; empty when not used.')
param cartesiaApiKeySecretUri string = ''

@description('The function app public URL (the settings validator wants it in production).')
param publicBaseUrl string

@description('Fewest replicas; at least one so a call never waits for a cold start.')
@minValue(1)
param minReplicas int = 1

@description('Most replicas.')
@minValue(1)
param maxReplicas int = 10

@description('Concurrent calls one replica takes before another is added.')
@minValue(1)
param callsPerReplica int = 40

@description('vCPU per replica.')
param cpu string = '1.0'

@description('Memory per replica.')
param memory string = '2Gi'

@description('Zone-redundant environment (needs a virtual network; off without one).')
param zoneRedundant bool = false

var placeholderImage = 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest'
var usePlaceholder = empty(imageName)
var agentPort = 8000

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource environment 'Microsoft.App/managedEnvironments@2025-01-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Logs go through the diagnostic setting below, like every other resource's.
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    zoneRedundant: zoneRedundant
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

var commonSecrets = [
  {
    name: 'redis-url'
    keyVaultUrl: redisUrlSecretUri
    identity: identityId
  }
  {
    name: 'twilio-auth-token'
    keyVaultUrl: twilioAuthTokenSecretUri
    identity: identityId
  }
  {
    name: 'agent-token'
    keyVaultUrl: agentTokenSecretUri
    identity: identityId
  }
]
var openAiSecret = empty(openAiApiKeySecretUri) ? [] : [
  {
    name: 'openai-api-key'
    keyVaultUrl: openAiApiKeySecretUri
    identity: identityId
  }
]
var cartesiaSecret = empty(cartesiaApiKeySecretUri) ? [] : [
  {
    name: 'cartesia-api-key'
    keyVaultUrl: cartesiaApiKeySecretUri
    identity: identityId
  }
]
var secrets = concat(commonSecrets, openAiSecret, cartesiaSecret)

var commonEnv = [
  {
    name: 'PORT'
    value: string(agentPort)
  }
  {
    name: 'ARCHER_ENV'
    value: 'production'
  }
  {
    name: 'ARCHER_LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'ARCHER_DATABASE_URL'
    value: 'postgresql+psycopg://${identityName}@${postgresHost}:5432/${postgresDatabase}?sslmode=require'
  }
  {
    name: 'ARCHER_DATABASE_AUTH'
    value: 'entra'
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'ARCHER_REDIS_URL'
    secretRef: 'redis-url'
  }
  {
    name: 'ARCHER_PUBLIC_BASE_URL'
    value: publicBaseUrl
  }
  {
    name: 'TWILIO_ACCOUNT_SID'
    value: twilioAccountSid
  }
  {
    name: 'TWILIO_AUTH_TOKEN'
    secretRef: 'twilio-auth-token'
  }
  {
    name: 'ARCHER_AGENT_TOKEN'
    secretRef: 'agent-token'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
  {
    name: 'LITELLM_LOCAL_MODEL_COST_MAP'
    value: 'True'
  }
]
var openAiEnv = empty(openAiApiKeySecretUri) ? [] : [
  {
    name: 'OPENAI_API_KEY'
    secretRef: 'openai-api-key'
  }
]
var cartesiaEnv = empty(cartesiaApiKeySecretUri) ? [] : [
  {
    name: 'CARTESIA_API_KEY'
    secretRef: 'cartesia-api-key'
  }
]
var env = concat(commonEnv, openAiEnv, cartesiaEnv)

var probes = [
  {
    type: 'Liveness'
    httpGet: {
      path: '/status'
      port: agentPort
    }
    initialDelaySeconds: 10
    periodSeconds: 15
    timeoutSeconds: 5
    failureThreshold: 3
  }
  {
    type: 'Readiness'
    httpGet: {
      path: '/status'
      port: agentPort
    }
    initialDelaySeconds: 5
    periodSeconds: 10
    timeoutSeconds: 5
    failureThreshold: 3
  }
]

resource agent 'Microsoft.App/containerApps@2025-01-01' = {
  name: appName
  location: location
  tags: union(tags, {
    'azd-service-name': 'agent'
  })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: usePlaceholder ? 80 : agentPort
        transport: 'auto'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'agent'
          image: usePlaceholder ? placeholderImage : imageName
          env: env
          probes: usePlaceholder ? [] : probes
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'concurrent-calls'
            http: {
              metadata: {
                concurrentRequests: string(callsPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

resource migrationJob 'Microsoft.App/jobs@2025-01-01' = {
  name: migrationJobName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 1800
      replicaRetryLimit: 1
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: usePlaceholder ? placeholderImage : imageName
          command: usePlaceholder ? [] : [
            'archer'
            'db'
            'upgrade'
          ]
          env: env
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
        }
      ]
    }
  }
}

resource environmentDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: environment
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

resource agentDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: agent
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

output environmentName string = environment.name
output appName string = agent.name
output fqdn string = agent.properties.configuration.ingress.fqdn
output url string = 'https://${agent.properties.configuration.ingress.fqdn}'
output migrationJobName string = migrationJob.name
