#!/bin/sh
# Debian 12's FreeRADIUS 3.2.1 signs only replies that carry an EAP-Message; 3.2.5 and
# later (the real image's 3.2.7) sign every reply (BlastRADIUS, CVE-2024-3596), and the
# authenticator drops an unsigned one. This makes the stand-in do the same: an empty
# Message-Authenticator, which FreeRADIUS fills in when it encodes the packet, in the reply
# of post-auth, of Post-Auth-Type REJECT (at its end: attr_filter.access_reject would
# remove it) and of Status-Server (RFC 5997).
set -eu
site=${1:-/etc/freeradius/3.0/sites-available/default}
perl -0pi -e '
  my $s = "update reply {\n\t&Message-Authenticator := 0x00\n}";
  (my $s1 = $s) =~ s/^/\t/gm;
  (my $s2 = $s) =~ s/^/\t\t/gm;
  s/^post-auth \{\n/post-auth {\n$s1\n/m or die "post-auth\n";
  s/^(\tPost-Auth-Type REJECT \{\n.*?)^\t\}\n/$1$s2\n\t}\n/ms or die "REJECT\n";
  s/^#\tAutz-Type Status-Server \{\n#\n#\t\}\n/\tAutz-Type Status-Server {\n$s2\n\t\tok\n\t}\n/m or die "Status-Server\n";
' "$site"
