// PostgreSQL flexible server: Entra authentication only (the apps' managed identities are its Entra
// administrators and sign in with tokens; no password exists), TLS required, geo-redundant backups, optional
// zone-redundant high availability, and the `archer` database.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Server name.')
param name string

@description('Database name.')
param databaseName string = 'archer'

@description('PostgreSQL major version (15 or later).')
@allowed([
  '15'
  '16'
  '17'
])
param version string = '16'

@description('Compute SKU name, e.g. Standard_B2s (burstable) or Standard_D2ds_v5 (general purpose).')
param skuName string = 'Standard_D2ds_v5'

@description('Compute tier matching the SKU.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'GeneralPurpose'

@description('Storage size in GiB.')
param storageSizeGB int = 64

@description('Days of point-in-time backups.')
@minValue(7)
@maxValue(35)
param backupRetentionDays int = 14

@description('Geo-redundant backups (chosen at creation).')
param geoRedundantBackup bool = true

@description('Zone-redundant high availability (a standby in another zone); not available on Burstable.')
param zoneRedundantHa bool = false

@description('Entra principals made administrators: objects with principalId, principalName and principalType.')
param administrators array

@description('Log Analytics workspace for diagnostic settings.')
param workspaceId string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: zoneRedundantHa ? 'ZoneRedundant' : 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

// TLS for every connection, 1.2 at least (require_secure_transport is on by default; stating it keeps it on).
resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'require_secure_transport'
  properties: {
    value: 'on'
    source: 'user-override'
  }
}

resource minimumTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'ssl_min_protocol_version'
  properties: {
    value: 'TLSv1.2'
    source: 'user-override'
  }
  dependsOn: [
    requireTls
  ]
}

// Extensions the migrations create must be allow-listed: pg_trgm backs the customer name search index.
resource allowExtensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: 'PG_TRGM'
    source: 'user-override'
  }
  dependsOn: [
    minimumTls
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    minimumTls
  ]
}

// Only Azure services reach the public endpoint (0.0.0.0 is Azure's "allow Azure services" rule); the apps'
// outbound addresses are not fixed on Flex Consumption and Container Apps without a virtual network.
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [
    database
  ]
}

@batchSize(1)
resource entraAdministrators 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = [for admin in administrators: {
  parent: server
  name: admin.principalId
  properties: {
    principalName: admin.principalName
    principalType: admin.principalType
    tenantId: tenant().tenantId
  }
  dependsOn: [
    allowAzureServices
  ]
}]

resource serverDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
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

output name string = server.name
output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
