#!/usr/bin/env bash
# deploy/release.sh and deploy/rollback.sh in about half a minute, without .NET: nginx with this repository's
# api-instances.conf in front of two stand-in Api instances (small Python servers that answer with the release
# they were started from; one started from FAIL_RELEASE never answers /health 200), and a stand-in systemctl.
# A client sends requests through nginx all along. Checks: a release, a rollback, and a release that does not
# become ready (rolled back by release.sh, previous untouched); every instance on the expected release after
# each; no request failed. Prints "Release checks: N passed, N failed". Needs nginx, python3, curl.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d /tmp/puffin-release-test.XXXXXX); mkdir -p "$t"/{etc,nginx/conf/puffin-offset,nginx/temp,root,build/api,build/fulfillment,log}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
p1=$(port); m1=$(port); p2=$(port); m2=$(port); fm=$(port); http=$(port)
echo "ASPNETCORE_URLS=http://127.0.0.1:$p1" >"$t/etc/api-1.env"; echo "MANAGEMENT_URLS=http://127.0.0.1:$m1" >>"$t/etc/api-1.env"
echo "ASPNETCORE_URLS=http://127.0.0.1:$p2" >"$t/etc/api-2.env"; echo "MANAGEMENT_URLS=http://127.0.0.1:$m2" >>"$t/etc/api-2.env"
sed -e "s|127.0.0.1:8080 |127.0.0.1:$p1 |" -e "s|127.0.0.1:8082 |127.0.0.1:$p2 |" $repo/deploy/nginx/puffin-offset/api-instances.conf >"$t/nginx/conf/puffin-offset/api-instances.conf"
cat >"$t/nginx/conf/nginx.conf" <<CONF
worker_processes 1; pid $t/nginx/nginx.pid; error_log $t/log/nginx-error.log warn;
events { worker_connections 64; }
http { access_log $t/log/access.log; client_body_temp_path $t/nginx/temp/b; proxy_temp_path $t/nginx/temp/p;
 fastcgi_temp_path $t/nginx/temp/f; uwsgi_temp_path $t/nginx/temp/u; scgi_temp_path $t/nginx/temp/s;
 upstream puffin_api { hash \$remote_addr consistent; include puffin-offset/api-instances.conf; }
 server { listen 127.0.0.1:$http; location / { proxy_pass http://puffin_api; } } }
CONF
echo x >"$t/build/api/Api.dll"; echo x >"$t/build/fulfillment/Fulfillment.dll"
mkdir -p "$t/root/releases/v1"; cp -a "$t/build/." "$t/root/releases/v1/"; ln -s releases/v1 "$t/root/current"
# An "instance": serves its release name (from current at start) on both ports; FAIL_RELEASE never becomes ready.
cat >"$t/instance.py" <<'PY'
import http.server, os, sys, threading
release = os.path.basename(os.path.realpath(sys.argv[3]))
ready = release != os.environ.get("FAIL_RELEASE")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200 if (self.path != "/health" or ready) else 503
        self.send_response(code); self.end_headers(); self.wfile.write(release.encode())
    def log_message(self, *a): pass
for p in sys.argv[1:3]:
    s = http.server.ThreadingHTTPServer(("127.0.0.1", int(p)), H); threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()
PY
start() { python3 "$t/instance.py" "$2" "$3" "$t/root/current" & echo $! >"$t/$1.pid"; }
start puffin-offset-api@1 $p1 $m1; start puffin-offset-api@2 $p2 $m2; start puffin-offset-fulfillment $(port) $fm
cat >"$t/systemctl" <<SH
#!/usr/bin/env bash
action=\$1; shift
for u in "\$@"; do u=\${u%.service}
  case \$action in
    start) echo "migrate \$u" >>"$t/log/migrate.log";;
    restart) kill \$(cat "$t/\$u.pid"); sleep 0.3
      case \$u in puffin-offset-api@1) a="$p1 $m1";; puffin-offset-api@2) a="$p2 $m2";; *) a="\$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') $fm";; esac
      python3 "$t/instance.py" \$a "$t/root/current" >/dev/null 2>&1 & echo \$! >"$t/\$u.pid";;
  esac
done
SH
chmod +x "$t/systemctl"
nginx -p "$t/nginx/" -c "$t/nginx/conf/nginx.conf"
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "PASS: $1"; else failed=$((failed + 1)); echo "FAIL: $1"; fi; }
cleanup() {
  touch "$t/stop"
  nginx -p "$t/nginx/" -c "$t/nginx/conf/nginx.conf" -s stop 2>/dev/null || true
  for f in "$t"/*.pid; do kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.5; if [ "$failed" -eq 0 ]; then rm -rf "$t"; else echo "kept $t"; fi
  echo "Release checks: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
trap cleanup EXIT
for m in $m1 $m2 $fm; do until curl -fs -o /dev/null "http://127.0.0.1:$m/health"; do sleep 0.2; done; done
export PUFFIN_ROOT="$t/root" PUFFIN_ETC="$t/etc" PUFFIN_SYSTEMCTL="$t/systemctl" PUFFIN_NGINX_INSTANCES="$t/nginx/conf/puffin-offset/api-instances.conf" \
  PUFFIN_NGINX_PID="$t/nginx/nginx.pid" PUFFIN_NGINX_RELOAD="nginx -p $t/nginx/ -c $t/nginx/conf/nginx.conf -s reload" \
  PUFFIN_FULFILLMENT="puffin-offset-fulfillment=http://127.0.0.1:$fm/health" PUFFIN_READY_TIMEOUT=60
# traffic during: a GET loop through nginx counting non-200
( fails=0; n=0; while [ ! -e "$t/stop" ]; do n=$((n+1)); c=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.3.$((n%200+1)) "http://127.0.0.1:$http/x"); [ "$c" = 200 ] || fails=$((fails+1)); done; echo "$n requests, $fails failed" >"$t/traffic" ) &
on() { [ "$(curl -fs "http://127.0.0.1:$m1/")" = "$1" ] && [ "$(curl -fs "http://127.0.0.1:$m2/")" = "$1" ]; }
links() { [ "$(readlink "$t/root/current")" = "releases/$1" ] && [ "$(readlink "$t/root/previous")" = "releases/$2" ]; }
check "release.sh v2 exits 0" '"$repo/deploy/release.sh" v2 "$t/build" >>"$t/log/release.log" 2>&1'
check "after the release: current v2, previous v1, both instances on v2" 'links v2 v1 && on v2'
check "rollback.sh exits 0" '"$repo/deploy/rollback.sh" >>"$t/log/release.log" 2>&1'
check "after the rollback: current v1, previous v2, both instances on v1" 'links v1 v2 && on v1'
tar -czf "$t/v3.tar.gz" -C "$t/build" api fulfillment
check "release.sh v3 (never ready) exits 1" '! FAIL_RELEASE=v3 "$repo/deploy/release.sh" v3 "$t/v3.tar.gz" >>"$t/log/release.log" 2>&1'
check "after the failed release: current v1, previous still v2, both instances on v1, none marked down" \
  'links v1 v2 && on v1 && ! grep -q " down;" "$t/nginx/conf/puffin-offset/api-instances.conf"'
touch "$t/stop"
until [ -s "$t/traffic" ]; do sleep 0.2; done
check "no request through nginx failed during all three ($(cat "$t/traffic"))" 'grep -q ", 0 failed" "$t/traffic"'
