"""Redis adapters: state shared by every node of the service."""
