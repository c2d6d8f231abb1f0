"""The redfish hardware type: real BMCs through sushy."""
