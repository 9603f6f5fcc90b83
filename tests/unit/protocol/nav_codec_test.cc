#include "protocol/nav_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace echelon::json {
namespace {

namespace v1 = echelon::replay::v1;

std::string ErrorOf(const absl::Status& status) { return std::string(status.message()); }

TEST(NavRequestTest, GraphRequestNeedsOnlyTheWorldHash) {
  absl::StatusOr<v1::GetGraphRequest> request = ParseNavGraphRequest(R"({"world_hash":"909d7942a9b8f508","x":[1]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->world_hash(), "909d7942a9b8f508");
  EXPECT_FALSE(request->as_json());  // transport choices are the caller's
}

TEST(NavRequestTest, PathRequestReadsBothPositions) {
  absl::StatusOr<v1::FindPathRequest> request =
      ParseNavPathRequest(R"({"world_hash":"h","start_pos":[1,2.5,-3e0],"goal_pos":[0,0,1e2]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->world_hash(), "h");
  EXPECT_EQ(request->start_pos().x(), 1);
  EXPECT_EQ(request->start_pos().y(), 2.5);
  EXPECT_EQ(request->start_pos().z(), -3);
  EXPECT_EQ(request->goal_pos().z(), 100);
}

TEST(NavRequestTest, RejectsBodiesThatAreNotObjects) {
  EXPECT_EQ(ErrorOf(ParseNavGraphRequest("[]").status()), "body must be a JSON object");
  const absl::Status invalid = ParseNavGraphRequest("{\"world_hash\":").status();
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ErrorOf(invalid).starts_with("body is not valid JSON: ")) << invalid;
  EXPECT_EQ(ParseNavPathRequest("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NavRequestTest, NamesTheFirstBadFieldInOrder) {
  EXPECT_EQ(ErrorOf(ParseNavGraphRequest("{}").status()), "field 'world_hash' is required and must be a string");
  EXPECT_EQ(ErrorOf(ParseNavPathRequest(R"({"world_hash":7,"start_pos":1})").status()),
            "field 'world_hash' is required and must be a string");
  const std::string start_error = "field 'start_pos' must be an array of 3 finite numbers";
  const std::string goal_error = "field 'goal_pos' must be an array of 3 finite numbers";
  for (const char* bad : {R"("x")", "[1,2]", "[1,2,3,4]", R"([1,"2",3])", "[1,2,[3]]", "null", "{}"}) {
    const std::string body = std::string(R"({"world_hash":"h","goal_pos":[1,1,1],"start_pos":)") + bad + "}";
    EXPECT_EQ(ErrorOf(ParseNavPathRequest(body).status()), start_error) << body;
  }
  EXPECT_EQ(ErrorOf(ParseNavPathRequest(R"({"world_hash":"h","start_pos":[1,1,1]})").status()), goal_error);
  // A number beyond a double is not JSON the reader accepts at all.
  EXPECT_TRUE(ErrorOf(ParseNavPathRequest(R"({"world_hash":"h","start_pos":[1,2,1e400],"goal_pos":[1,1,1]})")
                          .status())
                  .starts_with("body is not valid JSON: "));
  EXPECT_EQ(ErrorOf(ParseNavPathRequest(R"({"world_hash":"h","start_pos":[1,1,1],"goal_pos":[1,1]})").status()),
            goal_error);
}

TEST(NavRequestTest, NestingBeyondTheDocumentLimitIsAnError) {
  const std::string deep = R"({"world_hash":"h","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(ParseNavGraphRequest(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NavAnswerTest, RendersAGraphInTheProtocolsShape) {
  // Two nodes: bedrock (z=-1) at (y=0,x=1) and the cell above it, linked both ways.
  const std::vector<int32_t> z = {-1, 0}, y = {0, 0}, x = {1, 1};
  const std::vector<uint32_t> offsets = {0, 1, 2}, targets = {1, 0};
  const NavGraphView view{.voxel_size = 2.0, .clearance_z = 4, .size_x = 2, .size_y = 1,
                          .node_z = z, .node_y = y, .node_x = x,
                          .edge_offsets = offsets, .edge_targets = targets};
  EXPECT_EQ(RenderNavGraphJson(view),
            R"({"voxel_size":2.0,"clearance_z":4,"nodes":[)"
            R"({"id":[-1,0,1],"pos":[3.0,1.0,0.0],"edges":[[0,0,1]]},)"
            R"({"id":[0,0,1],"pos":[3.0,1.0,2.0],"edges":[[-1,0,1]]}]})");
}

TEST(NavAnswerTest, RendersAnEmptyGraph) {
  EXPECT_EQ(RenderNavGraphJson(NavGraphView{.voxel_size = 5.0, .clearance_z = 4}),
            R"({"voxel_size":5.0,"clearance_z":4,"nodes":[]})");
}

TEST(NavAnswerTest, RendersAPathOrItsError) {
  v1::FindPathResponse path;
  path.set_found(true);
  v1::Vec3& pos = *path.add_path();
  pos.set_x(2.5);
  pos.set_y(7.5);
  pos.set_z(5);
  v1::NodeId& id = *path.add_node_ids();
  id.set_z(0);
  id.set_y(1);
  id.set_x(0);
  path.mutable_stats()->set_length(1);
  path.mutable_stats()->set_cost(0);
  path.mutable_stats()->set_visited(1);
  EXPECT_EQ(RenderNavPathJson(path),
            R"({"found":true,"path":[[2.5,7.5,5.0]],"node_ids":[[0,1,0]],"stats":{"length":1,"cost":0.0,"visited":1}})");

  v1::FindPathResponse off_graph;
  off_graph.set_error(std::string(kNotOnGraphError));
  EXPECT_EQ(RenderNavPathJson(off_graph), R"({"found":false,"error":"Start or goal not on nav graph"})");
}

TEST(NavAnswerTest, CellPositionsFollowTheReference) {
  const NavPoint p = NavCellPosition(-1, 2, 3, 5.0);
  EXPECT_EQ(p.x, 17.5);
  EXPECT_EQ(p.y, 12.5);
  EXPECT_EQ(p.z, 0.0);
}

}  // namespace
}  // namespace echelon::json
