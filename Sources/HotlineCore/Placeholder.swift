// Placeholder until the HotlineCore layer lands.
