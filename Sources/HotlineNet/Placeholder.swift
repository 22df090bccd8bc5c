// Placeholder until the HotlineNet layer lands.
