/*
 * A container's network namespace and its veth pair, over rtnetlink. Spawning unshare(1), ip(8)
 * twice and nsenter(1) for them cost every bridge-networked start 13-15 ms; these messages take
 * a fraction of a millisecond.
 *
 * netns_create() and veth_attach() leave the calling thread in the container's namespace: call
 * them on a thread made for the call and ended after it (host.c does), never on a libuv pool
 * thread, which would then open berthd's next sockets (and /proc/sys/net files) in a container's.
 */
#include "links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_BRIDGE
#define AF_BRIDGE PF_BRIDGE
#endif
#define BRIDGE_MODE_HAIRPIN 1

static int fail(struct link_failure *f, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct link_failure *f, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->step, sizeof(f->step), fmt, ap);
  va_end(ap);
  f->err = err;
  return err;
}

int parse_ip(const char *s, int with_prefix, struct ip_addr *out) {
  memset(out, 0, sizeof(*out));
  if (strlen(s) >= sizeof(out->text)) return 0;
  strcpy(out->text, s);
  char host[64];
  strcpy(host, s);
  char *slash = strchr(host, '/');
  if ((slash != NULL) != (with_prefix != 0)) return 0;
  if (slash) *slash = '\0';
  out->family = strchr(host, ':') ? AF_INET6 : AF_INET;
  if (inet_pton(out->family, host, out->bytes) != 1) return 0;
  int max = out->family == AF_INET ? 32 : 128;
  if (slash) {
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || *end != '\0' || p < 0 || p > max) return 0;
    out->prefix = (unsigned char)p;
  } else {
    out->prefix = (unsigned char)max;
  }
  return 1;
}

int parse_mac(const char *s, unsigned char out[6]) {
  unsigned b[6];
  char tail;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return 0;
  for (int i = 0; i < 6; i++) out[i] = (unsigned char)b[i];
  return 1;
}

static size_t addr_len(int family) { return family == AF_INET ? 4 : 16; }

/* ---- rtnetlink requests ---- */

struct nl {
  int fd;
  unsigned seq;
};

struct req {
  struct nlmsghdr *h;
  size_t cap;
  int overflow;
};

static void req_init(struct req *r, void *buf, size_t cap, unsigned short type, unsigned short flags, const void *hdr, size_t hdr_len) {
  memset(buf, 0, cap);
  r->h = buf;
  r->cap = cap;
  r->overflow = 0;
  r->h->nlmsg_type = type;
  r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  r->h->nlmsg_len = NLMSG_LENGTH(hdr_len);
  memcpy(NLMSG_DATA(r->h), hdr, hdr_len);
}

static struct rtattr *put(struct req *r, unsigned short type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
  if (at + RTA_SPACE(len) > r->cap) {
    r->overflow = 1;
    return NULL;
  }
  struct rtattr *a = (struct rtattr *)((char *)r->h + at);
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->h->nlmsg_len = (unsigned)(at + RTA_SPACE(len));
  return a;
}

static void put_u32(struct req *r, unsigned short type, unsigned v) { put(r, type, &v, sizeof(v)); }
static void put_str(struct req *r, unsigned short type, const char *s) { put(r, type, s, strlen(s) + 1); }

/* Closes a nest (or a payload-carrying attribute such as VETH_INFO_PEER) opened by put(). */
static void end(struct req *r, struct rtattr *a) {
  if (a) a->rta_len = (unsigned short)((char *)r->h + r->h->nlmsg_len - (char *)a);
}

static int nl_open(struct nl *nl) {
  nl->seq = 0;
  nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl->fd < 0) return errno;
  int one = 1;
  // Errors come back without our request echoed, and with the kernel's own words when it has them.
  setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  return 0;
}

static void nl_close(struct nl *nl) {
  if (nl->fd >= 0) close(nl->fd);
  nl->fd = -1;
}

/* The extended ack's message ("Nexthop has invalid gateway"…), when the kernel gave one. */
static void ext_ack(const struct nlmsghdr *m, char *out, size_t out_len) {
  if (!(m->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const struct nlmsgerr *e = NLMSG_DATA(m);
  size_t off = NLMSG_HDRLEN + sizeof(*e);
  if (!(m->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  const char *p = (const char *)m + NLMSG_ALIGN(off), *stop = (const char *)m + m->nlmsg_len;
  while (p + NLA_HDRLEN <= stop) {
    const struct nlattr *a = (const struct nlattr *)p;
    if (a->nla_len < NLA_HDRLEN || p + a->nla_len > stop) return;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      snprintf(out, out_len, "%.*s", (int)(a->nla_len - NLA_HDRLEN), p + NLA_HDRLEN);
      size_t n = strlen(out);
      while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\0')) out[--n] = '\0';
      return;
    }
    p += NLA_ALIGN(a->nla_len);
  }
}

/* Sends one request and waits for its acknowledgement: 0, or the kernel's errno. */
static int talk(struct nl *nl, struct req *r, struct link_failure *f) {
  if (r->overflow) return EMSGSIZE;
  r->h->nlmsg_seq = ++nl->seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(nl->fd, r->h, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    do n = recv(nl->fd, buf, sizeof(buf), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    int len = (int)n;
    for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
      if (m->nlmsg_seq != nl->seq || m->nlmsg_type != NLMSG_ERROR) continue;
      if (m->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return EPROTO;
      int err = -((const struct nlmsgerr *)NLMSG_DATA(m))->error;
      if (err && f) ext_ack(m, f->detail, sizeof(f->detail));
      return err;
    }
  }
}

/* RTM_NEWLINK on an existing link: flags (IFF_UP) and, when master is not 0, its bridge. */
static int set_link(struct nl *nl, unsigned index, unsigned master, struct link_failure *f) {
  char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  req_init(&r, buf, sizeof(buf), RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  if (master) put_u32(&r, IFLA_MASTER, master);
  return talk(nl, &r, f);
}

static int delete_by_name(struct nl *nl, const char *name, struct link_failure *f) {
  char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  req_init(&r, buf, sizeof(buf), RTM_DELLINK, 0, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, name);
  return talk(nl, &r, f);
}

static int add_address(struct nl *nl, unsigned index, const struct ip_addr *a, unsigned char flags, struct link_failure *f) {
  char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct req r;
  // As `ip addr add`: host scope for 127/8 only (the kernel derives an IPv6 address's scope itself).
  unsigned char scope = a->family == AF_INET && a->bytes[0] == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  struct ifaddrmsg ifa = {.ifa_family = (unsigned char)a->family, .ifa_prefixlen = a->prefix, .ifa_flags = flags, .ifa_scope = scope, .ifa_index = index};
  req_init(&r, buf, sizeof(buf), RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  put(&r, IFA_LOCAL, a->bytes, addr_len(a->family));
  put(&r, IFA_ADDRESS, a->bytes, addr_len(a->family));
  return talk(nl, &r, f);
}

/* `ip route replace default via <gateway> dev <index>`. */
static int default_route(struct nl *nl, unsigned index, const struct ip_addr *gateway, struct link_failure *f) {
  char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct req r;
  struct rtmsg rtm = {.rtm_family = (unsigned char)gateway->family, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
  req_init(&r, buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rtm, sizeof(rtm));
  put(&r, RTA_GATEWAY, gateway->bytes, addr_len(gateway->family));
  put_u32(&r, RTA_OIF, index);
  return talk(nl, &r, f);
}

static int write_sysctl(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, value, strlen(value));
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

/* ---- netns_create ---- */

int netns_create(const char *path, struct link_failure *f) {
  if (unshare(CLONE_NEWNET) != 0) return fail(f, errno, "unshare(CLONE_NEWNET)");
  if (mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) != 0) return fail(f, errno, "bind-mounting it on %s", path);
  return 0;
}

/* ---- veth_attach ---- */

/* The host end, in the namespace the thread started in: made, enslaved, hairpinned, up. */
static int attach_host_end(struct nl *nl, const struct veth_spec *s, int nsfd, struct link_failure *f) {
  unsigned bridge = if_nametoindex(s->bridge);
  if (!bridge) return fail(f, errno, "finding bridge %s", s->bridge);
  char buf[512] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct req r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  req_init(&r, buf, sizeof(buf), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, s->host);
  put_u32(&r, IFLA_MTU, s->mtu);
  struct rtattr *info = put(&r, IFLA_LINKINFO, NULL, 0);
  put_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = put(&r, IFLA_INFO_DATA, NULL, 0);
  // The peer is born in the namespace with its final name and MAC: nothing to rename after.
  struct rtattr *peer = put(&r, VETH_INFO_PEER, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, s->ifname);
  put_u32(&r, IFLA_MTU, s->mtu);
  put(&r, IFLA_ADDRESS, s->mac, sizeof(s->mac));
  put_u32(&r, IFLA_NET_NS_FD, (unsigned)nsfd);
  end(&r, peer);
  end(&r, data);
  end(&r, info);
  int err = talk(nl, &r, f);
  if (err) return fail(f, err, "creating veth %s (peer %s in %s)", s->host, s->ifname, s->netns);
  unsigned index = if_nametoindex(s->host);
  if (!index) return fail(f, errno, "finding veth %s", s->host);
  if ((err = set_link(nl, index, bridge, f))) return fail(f, err, "attaching %s to bridge %s", s->host, s->bridge);
  // Hairpin: a container reaching its own published port through the host gets the answer back.
  struct ifinfomsg port = {.ifi_family = AF_BRIDGE, .ifi_index = (int)index};
  req_init(&r, buf, sizeof(buf), RTM_SETLINK, 0, &port, sizeof(port));
  struct rtattr *protinfo = put(&r, IFLA_PROTINFO | NLA_F_NESTED, NULL, 0);
  unsigned char mode = BRIDGE_MODE_HAIRPIN;
  put(&r, IFLA_BRPORT_MODE, &mode, sizeof(mode));
  end(&r, protinfo);
  if ((err = talk(nl, &r, f))) return fail(f, err, "turning hairpin on for %s", s->host);
  return 0;
}

/* The peer, from inside the namespace: addresses, up (and lo), default routes. */
static int configure_peer(const struct veth_spec *s, struct link_failure *f) {
  struct nl nl;
  int err = nl_open(&nl);
  if (err) return fail(f, err, "opening a netlink socket in %s", s->netns);
  unsigned index = if_nametoindex(s->ifname), lo = if_nametoindex("lo");
  if (!index || !lo) {
    err = fail(f, errno, "finding %s in %s", index ? "lo" : s->ifname, s->netns);
    goto out;
  }
  if (s->has_addr6) {
    // The address is usable at once (nodad), as dockerd's: a container's first packets, and a
    // peer's ping right after start, would otherwise meet a tentative address. /proc/sys/net
    // shows the namespace of whoever opens it: this thread's.
    static const char *const keys[] = {"disable_ipv6", "accept_dad"};
    for (size_t i = 0; i < 2; i++) {
      char path[96];
      snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", s->ifname, keys[i]);
      if ((err = write_sysctl(path, "0"))) {
        fail(f, err, "setting %s of %s in %s", keys[i], s->ifname, s->netns);
        goto out;
      }
    }
  }
  if ((err = add_address(&nl, index, &s->addr, 0, f))) {
    fail(f, err, "adding address %s to %s in %s", s->addr.text, s->ifname, s->netns);
    goto out;
  }
  if (s->has_addr6 && (err = add_address(&nl, index, &s->addr6, IFA_F_NODAD, f))) {
    fail(f, err, "adding address %s to %s in %s", s->addr6.text, s->ifname, s->netns);
    goto out;
  }
  for (size_t i = 0; i < s->n_extra; i++) {
    if ((err = add_address(&nl, index, &s->extra[i], 0, f))) {
      fail(f, err, "adding address %s to %s in %s", s->extra[i].text, s->ifname, s->netns);
      goto out;
    }
  }
  if ((err = set_link(&nl, index, 0, f))) {
    fail(f, err, "bringing %s up in %s", s->ifname, s->netns);
    goto out;
  }
  if ((err = set_link(&nl, lo, 0, f))) {
    fail(f, err, "bringing lo up in %s", s->netns);
    goto out;
  }
  if (s->has_gateway && (err = default_route(&nl, index, &s->gateway, f))) {
    fail(f, err, "adding the default route via %s in %s", s->gateway.text, s->netns);
    goto out;
  }
  if (s->has_gateway6 && (err = default_route(&nl, index, &s->gateway6, f))) {
    fail(f, err, "adding the default route via %s in %s", s->gateway6.text, s->netns);
    goto out;
  }
out:
  nl_close(&nl);
  return err;
}

int veth_attach(const struct veth_spec *s, struct link_failure *f) {
  // Opened before setns(): this socket stays in berthd's namespace, to undo the host end.
  struct nl host = {.fd = -1};
  int nsfd = open(s->netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return fail(f, errno, "opening the network namespace %s", s->netns);
  int err = nl_open(&host);
  if (err) {
    close(nsfd);
    return fail(f, err, "opening a netlink socket");
  }
  err = attach_host_end(&host, s, nsfd, f);
  if (!err && setns(nsfd, CLONE_NEWNET) != 0) err = fail(f, errno, "entering %s", s->netns);
  if (!err) err = configure_peer(s, f);
  // Whatever failed, no half-made pair is left; the peer goes with its host end.
  if (err) delete_by_name(&host, s->host, NULL);
  nl_close(&host);
  close(nsfd);
  return err;
}

/* ---- link_delete ---- */

int link_delete(const char *name, struct link_failure *f) {
  struct nl nl;
  int err = nl_open(&nl);
  if (err) return fail(f, err, "opening a netlink socket");
  err = delete_by_name(&nl, name, f);
  nl_close(&nl);
  return err ? fail(f, err, "deleting %s", name) : 0;
}
