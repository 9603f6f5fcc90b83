#include "server/nav/nav_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <limits>

#include "common/gzip.h"
#include "tests/unit/server/nav/nav_fixtures.h"

namespace echelon::nav {
namespace {

namespace v1 = echelon::replay::v1;

nlohmann::json IdJson(const v1::NodeId& id) { return {id.z(), id.y(), id.x()}; }
nlohmann::json PosJson(const v1::Vec3& pos) { return {pos.x(), pos.y(), pos.z()}; }

// The reference JSON shape of a protobuf path answer.
nlohmann::json PathJson(const v1::FindPathResponse& response) {
  if (!response.error().empty()) return {{"found", response.found()}, {"error", response.error()}};
  nlohmann::json path = nlohmann::json::array(), ids = nlohmann::json::array();
  for (const auto& pos : response.path()) path.push_back(PosJson(pos));
  for (const auto& id : response.node_ids()) ids.push_back(IdJson(id));
  return {{"found", response.found()},
          {"path", path},
          {"node_ids", ids},
          {"stats",
           {{"length", response.stats().length()},
            {"cost", response.stats().cost()},
            {"visited", response.stats().visited()}}}};
}

// The reference JSON shape of a protobuf graph (edges are node indices).
nlohmann::json GraphJson(const v1::NavGraph& graph) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : graph.nodes()) {
    nlohmann::json edges = nlohmann::json::array();
    for (uint32_t target : node.edges()) edges.push_back(IdJson(graph.nodes(static_cast<int>(target)).id()));
    nodes.push_back({{"id", IdJson(node.id())}, {"pos", PosJson(node.pos())}, {"edges", edges}});
  }
  return {{"voxel_size", graph.voxel_size()}, {"clearance_z", graph.clearance_z()}, {"nodes", nodes}};
}

v1::Vec3 ToProto(const Vec3& v) {
  v1::Vec3 out;
  out.set_x(v.x);
  out.set_y(v.y);
  out.set_z(v.z);
  return out;
}

// One in-process server with the NavService over the fixture worlds.
class NavServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache_ = std::make_shared<NavCache>(testing::MapSource(testing::FixtureWorldsByHash()));
    service_ = new NavServiceImpl(cache_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_);
    builder.SetMaxSendMessageSize(64 << 20);
    server_ = builder.BuildAndStart().release();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    stub_ = v1::NavService::NewStub(server_->InProcessChannel(args)).release();
  }

  static void TearDownTestSuite() {
    delete stub_;
    server_->Shutdown();
    delete server_;
    delete service_;
    cache_.reset();
  }

  static std::string HashOf(const std::string& name) { return testing::GoldenPaths(name).front().world_hash; }

  static std::shared_ptr<NavCache> cache_;
  static NavServiceImpl* service_;
  static grpc::Server* server_;
  static v1::NavService::Stub* stub_;
};

std::shared_ptr<NavCache> NavServiceTest::cache_;
NavServiceImpl* NavServiceTest::service_ = nullptr;
grpc::Server* NavServiceTest::server_ = nullptr;
v1::NavService::Stub* NavServiceTest::stub_ = nullptr;

class NavServiceGoldenTest : public NavServiceTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(NavServiceGoldenTest, GraphJsonEqualsGolden) {
  v1::GetGraphRequest request;
  request.set_world_hash(HashOf(GetParam()));
  request.set_as_json(true);
  v1::GetGraphResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetGraph(&context, request, &response).ok());
  EXPECT_EQ(response.world_hash(), request.world_hash());
  EXPECT_FALSE(response.gzipped());
  testing::ExpectGraphJsonMatches(nlohmann::json::parse(response.graph_json()), testing::GoldenGraph(GetParam()));
}

TEST_P(NavServiceGoldenTest, GzippedGraphJsonEqualsGolden) {
  v1::GetGraphRequest request;
  request.set_world_hash(HashOf(GetParam()));
  request.set_as_json(true);
  request.set_gzip(true);
  v1::GetGraphResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetGraph(&context, request, &response).ok());
  EXPECT_TRUE(response.gzipped());
  absl::StatusOr<std::string> json = GunzipBounded(response.graph_json(), 64 << 20);
  ASSERT_TRUE(json.ok()) << json.status();
  testing::ExpectGraphJsonMatches(nlohmann::json::parse(*json), testing::GoldenGraph(GetParam()));
}

TEST_P(NavServiceGoldenTest, ProtoGraphEqualsGolden) {
  v1::GetGraphRequest request;
  request.set_world_hash(HashOf(GetParam()));
  v1::GetGraphResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetGraph(&context, request, &response).ok());
  EXPECT_TRUE(response.graph_json().empty());
  testing::ExpectGraphJsonMatches(GraphJson(response.graph()), testing::GoldenGraph(GetParam()));
}

TEST_P(NavServiceGoldenTest, EveryPathRequestGivesTheReferenceAnswer) {
  const std::vector<testing::PathCase> cases = testing::GoldenPaths(GetParam());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    v1::FindPathRequest request;
    request.set_world_hash(cases[i].world_hash);
    *request.mutable_start_pos() = ToProto(cases[i].start);
    *request.mutable_goal_pos() = ToProto(cases[i].goal);
    for (bool as_json : {false, true}) {
      request.set_as_json(as_json);
      v1::FindPathResponse response;
      grpc::ClientContext context;
      ASSERT_TRUE(stub_->FindPath(&context, request, &response).ok());
      const nlohmann::json actual = as_json ? nlohmann::json::parse(response.path_json()) : PathJson(response);
      testing::ExpectPathJsonMatches(actual, cases[i].response);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NavServiceGoldenTest, ::testing::ValuesIn(testing::FixtureWorldNames()),
                         [](const auto& info) { return info.param; });

TEST_F(NavServiceTest, UnknownWorldIsNotFound) {
  v1::GetGraphRequest graph_request;
  graph_request.set_world_hash("ffffffffffffffff");
  v1::GetGraphResponse graph_response;
  grpc::ClientContext graph_context;
  EXPECT_EQ(stub_->GetGraph(&graph_context, graph_request, &graph_response).error_code(), grpc::NOT_FOUND);

  v1::FindPathRequest path_request;
  path_request.set_world_hash("ffffffffffffffff");
  *path_request.mutable_start_pos() = ToProto({1, 1, 0});
  *path_request.mutable_goal_pos() = ToProto({2, 2, 0});
  v1::FindPathResponse path_response;
  grpc::ClientContext path_context;
  EXPECT_EQ(stub_->FindPath(&path_context, path_request, &path_response).error_code(), grpc::NOT_FOUND);
}

TEST_F(NavServiceTest, BadPositionsAreInvalidArgument) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  const std::string hash = HashOf("w40x40x20_s3");
  for (const Vec3& bad : {Vec3{kNaN, 1, 1}, Vec3{1, kInf, 1}, Vec3{1, 1, -kInf}}) {
    for (bool bad_start : {true, false}) {
      v1::FindPathRequest request;
      request.set_world_hash(hash);
      *request.mutable_start_pos() = ToProto(bad_start ? bad : Vec3{10, 10, 1});
      *request.mutable_goal_pos() = ToProto(bad_start ? Vec3{10, 10, 1} : bad);
      v1::FindPathResponse response;
      grpc::ClientContext context;
      EXPECT_EQ(stub_->FindPath(&context, request, &response).error_code(), grpc::INVALID_ARGUMENT);
    }
  }
  v1::FindPathRequest missing_goal;
  missing_goal.set_world_hash(hash);
  *missing_goal.mutable_start_pos() = ToProto({10, 10, 1});
  v1::FindPathResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub_->FindPath(&context, missing_goal, &response).error_code(), grpc::INVALID_ARGUMENT);
}

TEST_F(NavServiceTest, EmptyHashIsInvalidArgument) {
  v1::GetGraphRequest request;
  v1::GetGraphResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub_->GetGraph(&context, request, &response).error_code(), grpc::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace echelon::nav
