"""Per-chapter helpers: each ``chNN`` module registers that notebook's exercises."""
