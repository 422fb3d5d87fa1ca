// Keeps test_support a valid library whatever helpers exist.
namespace holdfast::test {
int support_anchor = 0;
}
