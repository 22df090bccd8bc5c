#!/usr/bin/env bash
# Writes the demo network's topology for a profile: a city, two county stations with two street offices each,
# and two city-level agencies — 9 nodes on loopback ports BASE..BASE+2.
# usage: topology.sh PROFILE BASE_PORT > topology.json
set -euo pipefail
profile=$1 base=$2
case "$profile" in
  jinan-2018)   city=济南市; d1=历下区; s11=解放路街道; s12=泉城路街道; d2=市中区; s21=大观园街道; s22=七里山街道 ;;
  anshan-2019|anshan-draft) city=鞍山市; d1=铁东区; s11=解放街道; s12=站前街道; d2=铁西区; s21=永乐街道; s22=共和街道 ;;
  tonghua-2021) city=通化市; d1=东昌区; s11=新站街道; s12=民主街道; d2=二道江区; s21=东通化街道; s22=桃源街道 ;;
  baoding-2022) city=保定市; d1=竞秀区; s11=先锋街道; s12=新市场街道; d2=莲池区; s21=和平里街道; s22=五四路街道 ;;
  *) city=示范市; d1=东区; s11=东一街道; s12=东二街道; d2=西区; s21=西一街道; s22=西二街道 ;;
esac
cat <<JSON
{
  "city": "$city",
  "profile": "$profile",
  "nodes": [
    {"id": "demo-city", "kind": "city", "parent": null, "name": "${city}12345政务服务便民热线", "listen": "127.0.0.1:$base", "areas": [], "topics": []},
    {"id": "county-a", "kind": "county", "parent": "demo-city", "name": "${d1}工作站", "listen": "127.0.0.1:$((base+1))", "areas": ["$d1"], "topics": []},
    {"id": "county-b", "kind": "county", "parent": "demo-city", "name": "${d2}工作站", "listen": "127.0.0.1:$((base+2))", "areas": ["$d2"], "topics": []},
    {"id": "a-street-1", "kind": "unit", "parent": "county-a", "name": "${d1}${s11}办事处", "areas": ["$d1/$s11"], "topics": ["市容环境", "物业管理", "噪声扰民", "道路交通"]},
    {"id": "a-street-2", "kind": "unit", "parent": "county-a", "name": "${d1}${s12}办事处", "areas": ["$d1/$s12"], "topics": ["市容环境", "物业管理", "噪声扰民", "道路交通"]},
    {"id": "b-street-1", "kind": "unit", "parent": "county-b", "name": "${d2}${s21}办事处", "areas": ["$d2/$s21"], "topics": ["市容环境", "物业管理", "噪声扰民", "道路交通"]},
    {"id": "b-street-2", "kind": "unit", "parent": "county-b", "name": "${d2}${s22}办事处", "areas": ["$d2/$s22"], "topics": ["市容环境", "物业管理", "噪声扰民", "道路交通"]},
    {"id": "water", "kind": "unit", "parent": "demo-city", "name": "${city%市}水务集团", "areas": ["*"], "topics": ["供水", "排水"]},
    {"id": "energy", "kind": "unit", "parent": "demo-city", "name": "${city%市}能源集团", "areas": ["*"], "topics": ["供暖", "燃气"]}
  ]
}
JSON
