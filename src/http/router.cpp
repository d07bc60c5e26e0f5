#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace kelu::http {

namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// The third segment of a route's pattern when it is literal, else "" (see by_shape_).
std::string_view ShapeSegment(const Route& r) {
  return r.segments.size() > 2 && !r.parameter[2] ? std::string_view(r.segments[2]) : "";
}

}  // namespace

Route& Router::Add(std::string method, std::string pattern, Access access, RouteDoc doc,
                   Handler handler) {
  for (const auto& r : routes_) {
    if (r->method == method && r->pattern == pattern) {
      std::string what = "duplicate route ";
      what.append(method).append(" ").append(pattern);
      throw std::logic_error(what);
    }
  }
  auto route = std::make_unique<Route>();
  route->method = std::move(method);
  route->pattern = std::move(pattern);
  route->access = access;
  route->doc = std::move(doc);
  route->handler = std::move(handler);
  for (auto s : Split(route->pattern)) {
    route->segments.emplace_back(s);
    route->parameter.push_back(s.size() > 2 && s.front() == '{' && s.back() == '}');
  }
  by_shape_[route->segments.size()][std::string(ShapeSegment(*route))].push_back(route.get());
  routes_.push_back(std::move(route));
  return *routes_.back();
}

Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  if (path.empty() || path.front() != '/') return m;
  auto parts = Split(path);
  std::size_t best_params = 0;
  auto consider = [&](const Route* r) {
    bool ok = true;
    std::size_t params = 0;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      if (r->parameter[i]) {
        ok = !parts[i].empty();
        ++params;
      } else {
        ok = r->segments[i] == parts[i];
      }
    }
    if (!ok) return;
    // Literal segments win over parameters: prefer the route with fewer parameters.
    if (r->method == method || (method == "HEAD" && r->method == "GET")) {
      if (!m.route || params < best_params) {
        m.route = r;
        best_params = params;
      }
    } else if (std::find(m.allowed.begin(), m.allowed.end(), r->method) == m.allowed.end()) {
      m.allowed.push_back(r->method);
    }
  };
  if (auto length = by_shape_.find(parts.size()); length != by_shape_.end()) {
    auto consider_all = [&](std::string_view third) {
      auto it = length->second.find(third);
      if (it == length->second.end()) return;
      for (const Route* r : it->second) consider(r);
    };
    if (parts.size() > 2 && !parts[2].empty()) consider_all(parts[2]);
    consider_all("");
  }
  if (m.route) {
    m.allowed.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!m.route->parameter[i]) continue;
      const std::string& seg = m.route->segments[i];
      m.params.emplace(seg.substr(1, seg.size() - 2), std::string(parts[i]));
    }
  }
  std::sort(m.allowed.begin(), m.allowed.end());
  return m;
}

}  // namespace kelu::http
