#!/bin/bash
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

# Regenerate the unit-test vectors in tests/unit/tang/vectors/ with the REAL
# tangd and clevis (Debian 12: tang 11, clevis 19). Run once; commit the
# output. The keys are throw-away test keys.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tests/unit/tang/vectors
rm -rf "$OUT"; mkdir -p "$OUT/a" "$OUT/b"
/usr/libexec/tangd-keygen "$OUT/a"
/usr/libexec/tangd-keygen "$OUT/b"

pids=()
serve() {  # serve DB PORT
    socat TCP-LISTEN:$2,bind=127.0.0.1,reuseaddr,fork \
        EXEC:"/usr/libexec/tangd $1" 2>/dev/null &
    pids+=($!)
}
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
PA=18181; PB=18182
serve "$OUT/a" $PA; serve "$OUT/b" $PB
sleep 0.5
A=http://127.0.0.1:$PA; B=http://127.0.0.1:$PB
sig() { for f in "$1"/*.jwk; do
    jose fmt -j "$f" -g key_ops -A -o- | grep -q verify && jose jwk thp -i "$f" -a "${2:-S256}"; done; return 0; }
THP_A=$(sig "$OUT/a"); THP_A1=$(sig "$OUT/a" S1); THP_B=$(sig "$OUT/b")

curl -sf "$A/adv" > "$OUT/a.adv.jws"
curl -sf "$A/adv/$THP_A" > "$OUT/a.adv-thp.jws"
curl -sf "$B/adv" > "$OUT/b.adv.jws"
printf 'tang-plaintext' > "$OUT/plain-tang"
printf 'sss-plaintext' > "$OUT/plain-sss"
clevis encrypt tang "{\"url\":\"$A\",\"thp\":\"$THP_A\"}" \
    < "$OUT/plain-tang" > "$OUT/tang.jwe"
clevis encrypt tang "{\"url\":\"$A\",\"thp\":\"$THP_A1\"}" \
    < "$OUT/plain-tang" > "$OUT/tang-s1-thp.jwe"
clevis encrypt sss "{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"$A\",\"thp\":\"$THP_A\"},{\"url\":\"$B\",\"thp\":\"$THP_B\"}],\"sss\":{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"$B\",\"thp\":\"$THP_B\"}]}}}}" \
    < "$OUT/plain-sss" > "$OUT/sss.jwe"
# Rotation: the old signing key signs /adv/{old thp} of the new keys.
cp -a "$OUT/a" "$OUT/a-rotated"
/usr/libexec/tangd-rotate-keys -d "$OUT/a-rotated" >/dev/null
kill "${pids[0]}"; sleep 0.2; serve "$OUT/a-rotated" $PA; sleep 0.5
curl -sf "$A/adv/$THP_A" > "$OUT/a-rotated.adv-oldthp.jws"
cat > "$OUT/meta.json" <<JSON
{"url_a": "$A", "url_b": "$B", "thp_a": "$THP_A", "thp_a_s1": "$THP_A1",
 "thp_b": "$THP_B"}
JSON
echo "vectors written to $OUT"
