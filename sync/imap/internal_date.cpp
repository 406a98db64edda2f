// parse_internal_date(): the date-time of INTERNALDATE to seconds since the epoch.
#include <array>

#include "common/ascii.hpp"
#include "sync/imap/parser.hpp"
#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap {

namespace {

constexpr std::array<std::string_view, 12> month_names = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::optional<int> two_digits(std::string_view text, std::size_t at) {
    if (!wire::is_digit(text[at]) || !wire::is_digit(text[at + 1])) return std::nullopt;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

bool is_leap(std::int64_t year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(std::int64_t year, int month) {
    static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, int month, int day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = year / 400;
    const std::int64_t year_of_era = year - era * 400;
    const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

}  // namespace

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
// date-day-fixed = (SP DIGIT) / 2DIGIT ; date-year = 4DIGIT
// time = 2DIGIT ":" 2DIGIT ":" 2DIGIT ; zone = ("+" / "-") 4DIGIT
// `text` is the part between the quotes: "17-Jul-1996 02:44:25 -0700" (26 characters).
std::optional<std::int64_t> parse_internal_date(std::string_view text) {
    if (text.size() != 26) return std::nullopt;
    std::optional<int> day = text[0] == ' ' && wire::is_digit(text[1])
                                 ? std::optional<int>(text[1] - '0')
                                 : two_digits(text, 0);
    if (!day || text[2] != '-' || text[6] != '-' || text[11] != ' ' || text[14] != ':' ||
        text[17] != ':' || text[20] != ' ' || (text[21] != '+' && text[21] != '-')) {
        return std::nullopt;
    }
    int month = 0;
    for (std::size_t i = 0; i < month_names.size(); ++i) {
        if (ascii::iequals(text.substr(3, 3), month_names[i])) month = static_cast<int>(i) + 1;
    }
    const auto century = two_digits(text, 7);
    const auto year_in_century = two_digits(text, 9);
    const auto hour = two_digits(text, 12);
    const auto minute = two_digits(text, 15);
    const auto second = two_digits(text, 18);
    const auto zone_hours = two_digits(text, 22);
    const auto zone_minutes = two_digits(text, 24);
    if (month == 0 || !century || !year_in_century || !hour || !minute || !second ||
        !zone_hours || !zone_minutes) {
        return std::nullopt;
    }
    const std::int64_t year = *century * 100 + *year_in_century;
    if (*day < 1 || *day > days_in_month(year, month) || *hour > 23 || *minute > 59 ||
        *second > 60 || *zone_minutes > 59) {
        return std::nullopt;
    }
    const std::int64_t local = days_from_civil(year, month, *day) * 86400 + *hour * 3600 +
                               *minute * 60 + *second;
    const std::int64_t offset = (*zone_hours * 3600 + *zone_minutes * 60) * (text[21] == '-' ? -1 : 1);
    return local - offset;
}

}  // namespace mailsync::imap
