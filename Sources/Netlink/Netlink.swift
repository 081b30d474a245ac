/// rtnetlink for pod plumbing (links, namespaces, addresses, routes, neighbours) without
/// shelling out to `ip`. See README.md.
public enum Netlink {}
