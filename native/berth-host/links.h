/* Network namespaces, veth pairs and link removal over rtnetlink (links.c). */
#ifndef BERTH_LINKS_H
#define BERTH_LINKS_H

#include <net/if.h>
#include <stddef.h>

/* An IPv4 or IPv6 address, with its prefix length when it came as a CIDR. */
struct ip_addr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char bytes[16];
  unsigned char prefix;
  char text[64]; /* as given, for error messages */
};

struct veth_spec {
  char *netns;
  char bridge[IFNAMSIZ], host[IFNAMSIZ], ifname[IFNAMSIZ];
  unsigned mtu;
  unsigned char mac[6];
  struct ip_addr addr, gateway, addr6, gateway6;
  int has_gateway, has_addr6, has_gateway6;
  size_t n_extra;
  struct ip_addr *extra;
};

/* What failed: the kernel's errno, the step ("adding address … to eth0 in …") and its extended ack. */
struct link_failure {
  int err;
  char step[512];
  char detail[256];
};

/* Parses "10.1.0.5/24", "fd00::5/64" (with_prefix) or a bare address; 0 when malformed. */
int parse_ip(const char *s, int with_prefix, struct ip_addr *out);
/* Parses "02:42:0a:01:00:05"; 0 when malformed. */
int parse_mac(const char *s, unsigned char out[6]);

/*
 * Each returns 0, or an errno with *f filled in. The first two leave the calling thread in the
 * namespace (the new one; the veth's): call them on a thread of their own. link_delete works in
 * the calling thread's namespace.
 */
int netns_create(const char *path, struct link_failure *f);
int veth_attach(const struct veth_spec *s, struct link_failure *f);
int link_delete(const char *name, struct link_failure *f);

#endif
