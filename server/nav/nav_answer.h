// The core's side of the nav answers: a NavGraph and an A* result turned into
// the protocol's forms, the v1 messages for gRPC callers and the JSON of
// PROTOCOL.md (rendered by protocol/nav_codec.h, which knows nothing of the
// core). The graph JSON is rendered straight from the graph's arrays; the path
// JSON from the same FindPathResponse a gRPC caller gets.
//
//   std::string graph_json = RenderGraphJson(graph);
//   std::string path_json = RenderPathJson(graph, FindPath(graph, start, goal));
#pragma once

#include <string>

#include "echelon/replay/v1/nav.pb.h"
#include "server/nav/astar.h"
#include "server/nav/nav_graph.h"

namespace echelon::nav {

// The whole graph as a v1::NavGraph (nodes in graph order, edges as node numbers).
void FillGraph(const NavGraph& graph, replay::v1::NavGraph& out);

// found, path positions, node ids and stats, or just the error when the start
// or the goal is not on the graph.
void FillPath(const NavGraph& graph, const PathResult& result, replay::v1::FindPathResponse& out);

std::string RenderGraphJson(const NavGraph& graph);
std::string RenderPathJson(const NavGraph& graph, const PathResult& result);

}  // namespace echelon::nav
