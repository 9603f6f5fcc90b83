// The JSON answers of POST /nav/graph and POST /nav/path, in exactly the
// shapes and key orders of PROTOCOL.md, with floats in Python's repr so that
// whole numbers stay floats ("0.0"). The graph text is big (about 1 MB for a
// 100x100x20 world) and is meant to be rendered once per cached graph.
//
//   std::string graph_json = RenderGraphJson(graph);
//   std::string path_json = RenderPathJson(graph, FindPath(graph, start, goal));
#pragma once

#include <string>
#include <string_view>

#include "server/nav/astar.h"
#include "server/nav/nav_graph.h"

namespace echelon::nav {

// The reference's error text when the start or the goal has no nearby node.
inline constexpr std::string_view kNotOnGraphError = "Start or goal not on nav graph";

// {"voxel_size":f,"clearance_z":int,"nodes":[{"id":[z,y,x],"pos":[x,y,z],"edges":[[z,y,x],...]},...]}
std::string RenderGraphJson(const NavGraph& graph);

// {"found":bool,"path":[[x,y,z],...],"node_ids":[[z,y,x],...],"stats":{"length":n,"cost":f,"visited":n}}
// or {"found":false,"error":"Start or goal not on nav graph"}.
std::string RenderPathJson(const NavGraph& graph, const PathResult& result);

}  // namespace echelon::nav
