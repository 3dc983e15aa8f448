"""Services: load rows, call pipeline/, persist. No HTTP here."""
