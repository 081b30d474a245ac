/// The ARP responder for the pod gateway address (AF_PACKET). See README.md.
public enum ARPProxy {}
