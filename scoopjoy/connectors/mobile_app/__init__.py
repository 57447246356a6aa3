"""The franchise mobile app backend (menu, outlets, order status)."""
