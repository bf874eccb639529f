// The admin UI on Azure Static Web Apps (Standard: managed identity, custom domains, SLA). It calls the function
// app's API (CORS allows this site's origin) and the agent host's Socket.IO endpoint.

@description('Azure region (Static Web Apps runs in a few regions: westus2, centralus, eastus2, westeurope, eastasia).')
param location string

@description('Tags for every resource (the site also gets azd-service-name: web).')
param tags object

@description('Static Web App name.')
param name string

@description('SKU: Standard for managed identity and the SLA.')
@allowed([
  'Standard'
])
param skuName string = 'Standard'

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'web'
  })
  sku: {
    name: skuName
    tier: skuName
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostname
output url string = 'https://${site.properties.defaultHostname}'
