#include "app/demo_data.hpp"

#include <fmt/format.h>

#include <array>

namespace kelu::app {
namespace {

// A small linear congruential generator: reproducible, good enough for sample data.
class Sequence {
 public:
  explicit Sequence(std::uint64_t seed) : state_(seed) {}
  std::uint32_t Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state_ >> 33);
  }
  template <class T, std::size_t N>
  const T& Pick(const std::array<T, N>& a) {
    return a[Next() % N];
  }
  int Between(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<std::uint32_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

constexpr std::array<const char*, 16> kCities = {"北京", "上海", "广州", "深圳", "杭州", "苏州",
                                                 "南京", "成都", "武汉", "西安", "重庆", "天津",
                                                 "青岛", "厦门", "长沙", "宁波"};
constexpr std::array<const char*, 16> kProvinces = {"北京", "上海", "广东", "广东", "浙江", "江苏",
                                                    "江苏", "四川", "湖北", "陕西", "重庆", "天津",
                                                    "山东", "福建", "湖南", "浙江"};
constexpr std::array<const char*, 24> kWords = {
    "华信", "宏达", "鑫源", "瑞丰", "恒通", "博远", "中科", "金桥", "天成", "永盛", "海纳", "东方",
    "新锐", "卓越", "众诚", "启明", "汇丰", "远航", "盛世", "立信", "佳和", "同创", "优品", "星河"};
constexpr std::array<const char*, 10> kTrades = {"科技", "贸易", "电子",     "机械",     "物流",
                                                 "食品", "建材", "医疗器械", "信息技术", "服装"};
constexpr std::array<const char*, 10> kIndustries = {"信息技术", "批发零售", "信息技术", "制造业",
                                                     "物流",     "餐饮",     "建筑",     "医疗",
                                                     "信息技术", "批发零售"};
constexpr std::array<const char*, 20> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "赵",
                                                   "黄", "周", "吴", "徐", "孙", "胡", "朱",
                                                   "高", "林", "何", "郭", "马", "罗"};
constexpr std::array<const char*, 20> kGiven = {"伟", "芳",   "娜",   "敏",   "静",   "强",  "磊",
                                                "军", "洋",   "勇",   "艳",   "杰",   "涛",  "明",
                                                "超", "秀英", "海燕", "建华", "志强", "晓东"};
constexpr std::array<const char*, 6> kTitles = {"总经理",   "采购经理", "技术总监",
                                                "行政主管", "财务经理", "董事长"};
constexpr std::array<const char*, 6> kSources = {"官网", "电话", "展会", "转介绍", "广告", "其他"};
constexpr std::array<const char*, 5> kStatuses = {"潜在", "意向", "谈判", "成交", "流失"};
constexpr std::array<const char*, 4> kLevels = {"A", "B", "C", "D"};
constexpr std::array<const char*, 6> kFollowTypes = {"call",  "visit", "wechat",
                                                     "email", "call",  "visit"};
constexpr std::array<const char*, 8> kNotes = {"电话沟通，客户对产品感兴趣，约下周演示。",
                                               "上门拜访，了解了采购流程和预算。",
                                               "发送了报价单，等待客户内部审批。",
                                               "客户反馈价格偏高，需要申请折扣。",
                                               "微信沟通，确认了需求清单。",
                                               "客户提出定制需求，已转技术评估。",
                                               "合同条款沟通中，法务在审核。",
                                               "回访老客户，了解续约意向。"};
constexpr std::array<const char*, 6> kDeals = {"年度软件采购", "设备升级项目", "系统集成",
                                               "渠道合作",     "续约与扩容",   "试点项目"};

}  // namespace

Result<int> FillDemoTenant(crm::CrmService& crm, identity::IdentityService& ids,
                           const DemoUsers& users, Timestamp now) {
  identity::RequestMeta meta{"127.0.0.1", "kelu demo", "demo", now};
  identity::Page probe;
  probe.limit = 1;
  auto existing = crm.ListCustomers(users.boss, {}, probe);
  if (!existing.ok()) return std::move(existing).error();
  if (!existing->at("items").as_array().empty()) return 0;

  auto pool = crm.CreatePool(users.boss, json::object{{"name", "公海"}}, meta);
  if (!pool.ok()) return std::move(pool).error();
  auto pipelines = crm.ListPipelines(users.boss, now);
  if (!pipelines.ok()) return std::move(pipelines).error();
  const json::array& stages = pipelines->at("items").as_array().at(0).at("stages").as_array();

  Sequence seq(20261124);
  const identity::Principal* owners[] = {&users.boss, &users.member_a, &users.member_b};
  int created = 0;
  for (int i = 0; i < 300; ++i) {
    int city = static_cast<int>(seq.Next() % kCities.size());
    int trade = static_cast<int>(seq.Next() % kTrades.size());
    std::string name =
        fmt::format("{}{}{}有限公司", kCities[city], seq.Pick(kWords), kTrades[trade]);
    bool pooled = i % 10 == 9;
    const identity::Principal& owner = *owners[i % 3];
    json::object body{
        {"name", name},
        {"industry", kIndustries[trade]},
        {"source", seq.Pick(kSources)},
        {"level", seq.Pick(kLevels)},
        {"status", seq.Pick(kStatuses)},
        {"province", kProvinces[city]},
        {"city", kCities[city]},
        {"address",
         fmt::format("{}市{}路{}号", kCities[city], seq.Pick(kWords), seq.Between(1, 999))},
        {"phones",
         json::array{fmt::format("0{}-{}", seq.Between(10, 999), seq.Between(50000000, 89999999))}},
        {"tags", i % 4 == 0 ? json::array{"重点客户"} : json::array{}}};
    if (pooled) body["pool_id"] = pool->at("id");
    auto customer = crm.CreateCustomer(pooled ? users.boss : owner, body, meta);
    if (!customer.ok()) {
      if (customer.error().code == "duplicate_customer") continue;  // the generator repeated a name
      return std::move(customer).error();
    }
    ++created;
    std::int64_t id = customer->at("id").as_int64();
    const identity::Principal& actor = pooled ? users.boss : owner;
    std::string person = std::string(seq.Pick(kSurnames)) + seq.Pick(kGiven);
    auto contact = crm.CreateContact(
        actor,
        json::object{
            {"customer_id", id},
            {"name", person},
            {"title", seq.Pick(kTitles)},
            {"mobile", fmt::format("1{}{:08d}", seq.Between(30, 89), seq.Between(0, 99999999))},
            {"email", fmt::format("contact{}@example.cn", i)}},
        meta);
    if (!contact.ok()) return std::move(contact).error();
    int follow_ups = pooled ? 0 : seq.Between(0, 3);
    for (int k = 0; k < follow_ups; ++k) {
      Timestamp at =
          now - std::chrono::days(seq.Between(1, 60)) - std::chrono::hours(seq.Between(0, 8));
      json::object f{{"customer_id", id},
                     {"type", seq.Pick(kFollowTypes)},
                     {"content", seq.Pick(kNotes)},
                     {"at", FormatRfc3339(at, ids.zone())}};
      if (k == follow_ups - 1 && seq.Next() % 2 == 0) {
        // Some plans are already past: they show as overdue reminders.
        Timestamp next = now + std::chrono::days(seq.Between(-3, 14)) + std::chrono::hours(2);
        if (next > at) f["next_at"] = FormatRfc3339(next, ids.zone());
      }
      auto logged = crm.CreateFollowUp(actor, f, meta);
      if (!logged.ok()) return std::move(logged).error();
    }
    if (!pooled && seq.Next() % 3 == 0) {
      json::object o{
          {"customer_id", id},
          {"name",
           fmt::format("{} - {}", name.substr(0, name.size() - std::string("有限公司").size()),
                       seq.Pick(kDeals))},
          {"amount_fen", static_cast<std::int64_t>(seq.Between(2, 500)) * 1000000},
          {"stage_id", stages.at(seq.Next() % stages.size()).at("id")}};
      auto opp = crm.CreateOpportunity(actor, o, meta);
      if (!opp.ok()) return std::move(opp).error();
      int outcome = seq.Between(0, 9);
      if (outcome < 3) {
        auto won = crm.UpdateOpportunity(actor, opp->at("id").as_int64(),
                                         json::object{{"status", "won"}}, meta);
        if (!won.ok()) return std::move(won).error();
      } else if (outcome == 3) {
        auto lost = crm.UpdateOpportunity(
            actor, opp->at("id").as_int64(),
            json::object{{"status", "lost"}, {"lost_reason", "价格原因"}}, meta);
        if (!lost.ok()) return std::move(lost).error();
      }
    }
  }
  return created;
}

}  // namespace kelu::app
