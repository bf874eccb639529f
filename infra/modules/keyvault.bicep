// Key Vault with RBAC authorization: the vendors' secrets (Twilio, OpenAI, Cartesia) and Archer's bootstrap
// key. The apps read them through Key Vault references (function app settings, Container Apps secrets) with
// their managed identities; nothing secret is an app setting value or a deployment output. A secret value given
// here is written; an empty one leaves the vault's secret alone, so a pipeline can provision without holding any
// secret and operators set and rotate them in the vault (docs/DEPLOY.md).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Key Vault name (3-24 characters).')
param name string

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

@description('Principal ids (managed identities) that read secrets.')
param readerPrincipalIds array

@description('Optional principal (an operators group) allowed to set and rotate secrets.')
param secretsOfficerPrincipalId string = ''

@description('Twilio auth token to store; empty leaves the secret as it is in the vault (set or rotated there).')
@secure()
param twilioAuthToken string = ''

@description('Agent host token (the Cartesia harness presents it) to store; empty leaves the vault secret as it is.')
@secure()
param agentToken string = ''

@description('The agent uses the LLM brain: the function app and agent read openai-api-key from the vault.')
param openAiEnabled bool = false

@description('OpenAI API key to store; empty leaves the vault secret as it is.')
@secure()
param openAiApiKey string = ''

@description('The apps read cartesia-api-key from the vault.')
param cartesiaEnabled bool = false

@description('Cartesia API key to store; empty leaves the vault secret as it is.')
@secure()
param cartesiaApiKey string = ''

@description('The function app reads archer-bootstrap-api-key from the vault.')
param bootstrapKeyEnabled bool = false

@description('Bootstrap API key to store; empty leaves the vault secret as it is.')
@secure()
param bootstrapApiKey string = ''

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource twilioAuthTokenSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(twilioAuthToken)) {
  parent: vault
  name: 'twilio-auth-token'
  tags: tags
  properties: {
    value: twilioAuthToken
    contentType: 'text/plain'
  }
}

resource agentTokenSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(agentToken)) {
  parent: vault
  name: 'agent-token'
  tags: tags
  properties: {
    value: agentToken
    contentType: 'text/plain'
  }
}

resource openAiApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(openAiApiKey)) {
  parent: vault
  name: 'openai-api-key'
  tags: tags
  properties: {
    value: openAiApiKey
    contentType: 'text/plain'
  }
}

resource cartesiaApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(cartesiaApiKey)) {
  parent: vault
  name: 'cartesia-api-key'
  tags: tags
  properties: {
    value: cartesiaApiKey
    contentType: 'text/plain'
  }
}

resource bootstrapApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(bootstrapApiKey)) {
  parent: vault
  name: 'archer-bootstrap-api-key'
  tags: tags
  properties: {
    value: bootstrapApiKey
    contentType: 'text/plain'
  }
}

resource secretReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in readerPrincipalIds: {
  name: guid(vault.id, principalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
    principalId: secretsOfficerPrincipalId
    principalType: 'Group'
  }
}

resource vaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
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

// Versionless secret URIs: the apps follow a rotated secret without a redeployment.
var secretsUri = '${vault.properties.vaultUri}secrets/'

output name string = vault.name
output uri string = vault.properties.vaultUri
output twilioAuthTokenSecretUri string = '${secretsUri}twilio-auth-token'
output agentTokenSecretUri string = '${secretsUri}agent-token'
output openAiApiKeySecretUri string = openAiEnabled ? '${secretsUri}openai-api-key' : ''
output cartesiaApiKeySecretUri string = cartesiaEnabled ? '${secretsUri}cartesia-api-key' : ''
output bootstrapApiKeySecretUri string = bootstrapKeyEnabled ? '${secretsUri}archer-bootstrap-api-key' : ''
