// HubTesting
