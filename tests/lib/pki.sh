# pki.sh — a throwaway test PKI for the TLS tests (bash), made with openssl
# in a folder of the script's own:
#
#   . tests/lib/pki.sh
#   pki_make DIR || ...   # DIR/pki.log says why on failure
#
#   DIR/ca.pem, ca.key        the test CA ("otagw test CA")
#   DIR/smsc.pem, smsc.key    the SMSC's certificate, signed by the test CA,
#                             CN=localhost, SAN DNS:localhost and IP:127.0.0.1
#   DIR/other.pem, other.key  an unrelated self-signed CA ("other CA"): a
#                             client trusting only it must refuse smsc.pem
pki_make() {
    mkdir -p "$1" || return 1
    (
        cd "$1" &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=otagw test CA" \
                -keyout ca.key -out ca.pem &&
            openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout smsc.key -out smsc.csr &&
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf &&
            openssl x509 -req -in smsc.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile ext.cnf -out smsc.pem &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
                -keyout other.key -out other.pem
    ) >"$1/pki.log" 2>&1
}
