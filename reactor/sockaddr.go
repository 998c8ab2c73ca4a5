package reactor

import (
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SockaddrToAddr converts sa to a net.Addr: *net.TCPAddr for IPv4/IPv6 (or
// *net.UDPAddr when network starts with "udp"), *net.UnixAddr for unix
// sockets with Net set to network (or "unix"). It returns nil for nil or an
// unknown family. It allocates the result.
//
// Concurrency: safe from any goroutine.
func SockaddrToAddr(network string, sa unix.Sockaddr) net.Addr {
	var ip net.IP
	var port int
	var zone string
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ip, port = net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), sa.Port
	case *unix.SockaddrInet6:
		ip, port, zone = append(net.IP(nil), sa.Addr[:]...), sa.Port, zoneName(sa.ZoneId)
	case *unix.SockaddrUnix:
		if !strings.HasPrefix(network, "unix") {
			network = "unix"
		}
		return &net.UnixAddr{Name: sa.Name, Net: network}
	default:
		return nil
	}
	if strings.HasPrefix(network, "udp") {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
}

// zoneName turns an IPv6 scope id into an interface name (or its number).
func zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(id), 10)
}

// zoneIndex turns an IPv6 zone (interface name or number) into a scope id.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	return uint32(n)
}
