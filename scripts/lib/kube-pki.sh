# Certificates for scripts/kube-env.sh, made once per run directory with openssl (self-signed CAs, 10 years).
# shellcheck shell=bash

# `make_ca <dir> <name> <common name>` writes <name>.crt and <name>.key.
make_ca() {
  local dir=$1 name=$2 cn=$3
  [ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$cn" \
    -keyout "$dir/$name.key" -out "$dir/$name.crt.tmp" 2>/dev/null
  mv "$dir/$name.crt.tmp" "$dir/$name.crt"
}

# `make_cert <dir> <name> <ca name> <common name> <x509v3 extension lines>` writes <name>.crt and <name>.key, signed by
# the CA in the same directory.
make_cert() {
  local dir=$1 name=$2 ca=$3 cn=$4 ext=$5
  [ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" -CAcreateserial -days 3650 \
    -extfile <(printf '%s\n' "$ext") -out "$dir/$name.crt.tmp" 2>/dev/null
  mv "$dir/$name.crt.tmp" "$dir/$name.crt"
  rm -f "$dir/$name.csr"
}

# The aggregation layer: kube-apiserver proxies /apis/external.metrics.k8s.io to the KEDA metrics adapter with this
# client certificate and X-Remote-* headers; the adapter trusts the headers because the CA is the one the apiserver
# publishes as requestheader-client-ca-file (ConfigMap kube-system/extension-apiserver-authentication).
write_front_proxy_pki() {
  make_ca "$1" front-proxy-ca couponkill-front-proxy-ca
  make_cert "$1" front-proxy-client front-proxy-ca front-proxy-client \
    "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=clientAuth')"
}

# One certificate for the KEDA operator's metrics gRPC service and the metrics adapter: they authenticate each other
# (mutual TLS against ca.crt in each one's --cert-dir), and the adapter serves the aggregator with it. Its names: the
# address both dial (127.0.0.1 / localhost, and the bind host) and <service>.<namespace>.svc, the name the aggregator
# checks for an APIService's Service.
write_keda_pki() {
  local dir=$1 host=$2 service=$3 namespace=$4 sans
  sans="DNS:localhost,DNS:$service.$namespace.svc,DNS:keda-operator.$namespace.svc,IP:127.0.0.1"
  [ "$host" = 127.0.0.1 ] || sans="$sans,IP:$host"
  make_ca "$dir" keda-ca couponkill-keda-ca
  make_cert "$dir" keda keda-ca keda \
    "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=$sans")"
}

# `keda_cert_dir <pki dir> <cert dir>`: the layout KEDA reads (ca.crt, tls.crt, tls.key).
keda_cert_dir() {
  mkdir -p "$2"
  cp "$1/keda-ca.crt" "$2/ca.crt"
  cp "$1/keda.crt" "$2/tls.crt"
  cp "$1/keda.key" "$2/tls.key"
}
