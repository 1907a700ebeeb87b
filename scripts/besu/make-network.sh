#!/usr/bin/env bash
# Lay out a 4-validator Besu QBFT network for libledger from the templates in this folder.
#
#   scripts/besu/make-network.sh [--host IP] OUT_DIR ACCOUNT [ACCOUNT...]
#
# OUT_DIR      where the network goes (genesis.json, node-1..node-4/{config.toml,
#              permissions_config.toml,data/key})
# ACCOUNT      0x-addresses allowed to send transactions (accounts allowlist): at least the
#              deployer/governor; add every member account libledger signs with
# --host IP    address the nodes listen on and name each other by (default 127.0.0.1:
#              all four nodes on this machine, ports 30303-30306 and 8545-8548)
#
# Needs `besu` on PATH to generate the validator keys and genesis (besu operator
# generate-blockchain-config); if OUT_DIR/networkFiles already exists it is reused instead.
# Untested here: Besu cannot be installed on the machines libledger is developed on.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST=127.0.0.1
if [ "${1:-}" = "--host" ]; then HOST="$2"; shift 2; fi
[ $# -ge 2 ] || { sed -n '4,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"; shift

accounts=()
for a in "$@"; do
  [[ "$a" =~ ^0x[0-9a-fA-F]{40}$ ]] || { echo "make-network: not an account address: $a" >&2; exit 2; }
  accounts+=("\"$a\"")
done

if [ ! -d "$OUT/networkFiles/keys" ]; then
  command -v besu >/dev/null 2>&1 || {
    echo "make-network: besu not found: install Hyperledger Besu (https://besu.hyperledger.org, needs Java 21) and run again" >&2; exit 1; }
  besu operator generate-blockchain-config --config-file="$HERE/qbftConfigFile.json" \
    --to="$OUT/networkFiles" --private-key-file-name=key
fi
cp "$OUT/networkFiles/genesis.json" "$OUT/genesis.json"

mapfile -t keydirs < <(find "$OUT/networkFiles/keys" -mindepth 1 -maxdepth 1 -type d | sort)
[ "${#keydirs[@]}" -eq 4 ] || { echo "make-network: expected 4 validator keys in $OUT/networkFiles/keys, found ${#keydirs[@]}" >&2; exit 1; }

enodes=(); validators=()
for i in 1 2 3 4; do
  kd="${keydirs[$((i - 1))]}"
  pub="$(tr -d ' \n' < "$kd/key.pub")"; pub="${pub#0x}"
  enodes+=("\"enode://$pub@$HOST:$((30302 + i))\"")
  validators+=("$(basename "$kd")")
  mkdir -p "$OUT/node-$i/data"
  cp "$kd/key" "$kd/key.pub" "$OUT/node-$i/data/"
  chmod 600 "$OUT/node-$i/data/key"
done
join() { local IFS=,; echo "$*"; }

for i in 1 2 3 4; do
  nd="$OUT/node-$i"
  boot="${enodes[0]}"; [ "$i" -eq 1 ] && boot=""
  sed -e "s|@N@|$i|g" -e "s|@NODE_DIR@|$nd|g" -e "s|@NET_DIR@|$OUT|g" -e "s|@HOST@|$HOST|g" \
      -e "s|@P2P_PORT@|$((30302 + i))|g" -e "s|@RPC_PORT@|$((8544 + i))|g" -e "s|@BOOTNODES@|$boot|g" \
      "$HERE/node.toml.template" > "$nd/config.toml"
  sed -e "s|@NODES_ALLOWLIST@|$(join "${enodes[@]}")|" -e "s|@ACCOUNTS_ALLOWLIST@|$(join "${accounts[@]}")|" \
      "$HERE/permissions_config.toml.template" > "$nd/permissions_config.toml"
done

cat <<MSG
QBFT network laid out in $OUT
validators: ${validators[*]}
start each node in its own terminal (node 1 first, it is the bootnode):
$(for i in 1 2 3 4; do echo "  besu --config-file=$OUT/node-$i/config.toml"; done)
then point libledger at it:
  export LIBLEDGER_CHAIN_PROFILE=qbft LIBLEDGER_RPC_URL=http://$HOST:8545
MSG
