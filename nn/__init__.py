"""Neural-network layers, losses and utilities built from autograd_core tensor ops."""
