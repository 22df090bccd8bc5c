// Placeholder until the HotlineStore layer lands.
