// IoTHubDevice
