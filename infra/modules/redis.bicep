// Azure Managed Redis (Microsoft.Cache/redisEnterprise; Azure Cache for Redis is being retired): TLS 1.2 only,
// the non-clustered endpoint policy so the plain redis-py client works, and its access key kept in Key Vault
// as the `redis-url` secret the apps read (never an output, never an app setting value).

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Cluster name.')
param name string

@description('SKU, e.g. Balanced_B0, Balanced_B1, MemoryOptimized_M10.')
param skuName string = 'Balanced_B1'

@description('Replicate the data set (high availability); off only for throwaway environments.')
param highAvailability bool = true

@description('Key Vault that receives the redis-url secret.')
param keyVaultName string

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Enabled'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource redisUrlSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'redis-url'
  tags: tags
  properties: {
    value: 'rediss://:${database.listKeys().primaryKey}@${cluster.properties.hostName}:10000/0'
    contentType: 'text/plain'
  }
}

resource clusterDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: cluster
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

resource databaseDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: database
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

output name string = cluster.name
output hostName string = cluster.properties.hostName
output redisUrlSecretUri string = redisUrlSecret.properties.secretUri
