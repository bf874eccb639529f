// One user-assigned identity per deployable: the function app (API, webhooks, campaigns) and the agent host.
// Each is granted only what its app uses (storage for the function app's Durable task hub, the registry pull
// for the agent); both read Key Vault secrets, send telemetry and sign in to PostgreSQL with Entra.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the function app identity.')
param apiIdentityName string

@description('Name of the agent host identity.')
param agentIdentityName string

resource apiIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: apiIdentityName
  location: location
  tags: tags
}

resource agentIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: agentIdentityName
  location: location
  tags: tags
}

output apiIdentityId string = apiIdentity.id
output apiIdentityName string = apiIdentity.name
output apiIdentityClientId string = apiIdentity.properties.clientId
output apiIdentityPrincipalId string = apiIdentity.properties.principalId
output agentIdentityId string = agentIdentity.id
output agentIdentityName string = agentIdentity.name
output agentIdentityClientId string = agentIdentity.properties.clientId
output agentIdentityPrincipalId string = agentIdentity.properties.principalId
