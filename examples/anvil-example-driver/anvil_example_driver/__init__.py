"""An example hardware type for anvil (see docs/driver-guide.md)."""
