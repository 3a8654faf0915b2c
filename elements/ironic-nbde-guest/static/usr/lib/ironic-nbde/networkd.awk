# ironic-nbde: a plan of "netdata plan" as systemd-networkd files in dir
# (awk -v dir=DIR -f networkd.awk PLAN). One .network per link, NICs matched
# by their permanent MAC, a .netdev per bond and VLAN; 10-nbde-<handle>.
function file(h) {
    return dir "/10-nbde-" h
}
function netdev_of(kind, name, mac) {
    return "[NetDev]\nName=" name "\nKind=" kind "\n" \
        (mac != "-" ? "MACAddress=" mac "\n" : "")
}
$1 == "phy" {
    order[++n] = $2
    match_[$2] = "PermanentMACAddress=" $3 "\nType=ether"
    if ($4 != "-")
        link[$2] = "[Link]\nMTUBytes=" $4 "\n\n"
}
$1 == "bond" {
    order[++n] = $2
    match_[$2] = "Name=" $3
    netdev[$2] = netdev_of("bond", $3, $6) "\n[Bond]\nMode=" $4 \
        "\nMIIMonitorSec=" $5 "ms\n"
    for (i = 7; i <= NF; i++)
        net[$i] = net[$i] "Bond=" $3 "\n"
}
$1 == "vlan" {
    order[++n] = $2
    match_[$2] = "Name=" $3
    netdev[$2] = netdev_of("vlan", $3, $6) "\n[VLAN]\nId=" $5 "\n"
    net[$4] = net[$4] "VLAN=" $3 "\n"
}
$1 == "addr" {
    net[$2] = net[$2] "Address=" $4 "\n"
    has[$2] = 1
}
$1 == "route" {
    routes[$2] = routes[$2] "\n[Route]\nDestination=" $4 "\nGateway=" $5 "\n"
}
$1 == "dhcp" {
    net[$2] = net[$2] "DHCP=ipv4\n"
    has[$2] = 1
}
$1 == "slaac" {
    net[$2] = net[$2] "IPv6AcceptRA=yes\n"
    has[$2] = 1
}
$1 == "dns" {
    dns = dns "DNS=" $2 "\n"
}
END {
    for (i = 1; i <= n; i++) {
        h = order[i]
        if (h in netdev)
            printf "%s", netdev[h] > (file(h) ".netdev")
        # Links that only carry others (bond members, VLAN parents): no
        # address of their own, not even link-local.
        extra = (h in has) ? dns : "LinkLocalAddressing=no\n"
        printf "[Match]\n%s\n\n%s[Network]\n%s%s%s", match_[h], link[h],
            net[h], extra, routes[h] > (file(h) ".network")
    }
}
