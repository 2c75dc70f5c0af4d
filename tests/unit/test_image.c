/* test_image.c - pictures recognized by content only (SPEC §5.4): real
 * images made by the Debian encoders (tests/fixtures/images/README),
 * renamed files, other documents, truncated and damaged headers, and the
 * dimension limits at their boundaries. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/image.h"

#ifndef IMAGE_FIXTURES
#define IMAGE_FIXTURES "tests/fixtures/images"
#endif

struct file {
    unsigned char *data;
    size_t len;
};

static struct file
load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", IMAGE_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    struct file out = {malloc(1 << 20), 0};
    out.len = fread(out.data, 1, 1 << 20, f);
    fclose(f);
    cr_assert_gt(out.len, 0, "%s is empty", path);
    return out;
}

static enum image_type
sniff(const unsigned char *p, size_t n)
{
    struct image_info info;
    bool ok = image_sniff(p, n, &info);
    cr_assert_eq(ok, info.type != IMAGE_NONE);
    return info.type;
}

static void
assert_picture(const char *name, enum image_type type)
{
    struct file f = load(name);
    struct image_info info;
    cr_assert(image_sniff(f.data, f.len, &info), "%s not recognized", name);
    cr_assert_eq(info.type, type, "%s", name);
    cr_assert_eq(info.width, 4, "%s width", name);
    cr_assert_eq(info.height, 3, "%s height", name);
    free(f.data);
}

Test(image, real_pictures_are_recognized_with_their_size)
{
    assert_picture("tiny.png", IMAGE_PNG);
    assert_picture("tiny.jpg", IMAGE_JPEG);
    assert_picture("tiny-progressive.jpg", IMAGE_JPEG);
    assert_picture("tiny.webp", IMAGE_WEBP);
    assert_picture("tiny-lossless.webp", IMAGE_WEBP);
    assert_picture("tiny-alpha.webp", IMAGE_WEBP);
}

Test(image, the_name_does_not_matter)
{
    assert_picture("png-named.jpg", IMAGE_PNG);
    assert_picture("jpeg-named.png", IMAGE_JPEG);
}

Test(image, other_documents_are_refused)
{
    const char *names[] = {"pdf-named.jpg", "html-named.png", "gif-named.webp"};
    for (size_t i = 0; i < 3; i++) {
        struct file f = load(names[i]);
        cr_assert_eq(sniff(f.data, f.len), IMAGE_NONE, "%s", names[i]);
        free(f.data);
    }
    const unsigned char zeros[64] = {0};
    cr_assert_eq(sniff(zeros, sizeof(zeros)), IMAGE_NONE);
    cr_assert_eq(sniff(zeros, 0), IMAGE_NONE);
    cr_assert_eq(sniff(NULL, 10), IMAGE_NONE);
}

Test(image, media_types)
{
    cr_assert_str_eq(image_media_type(IMAGE_JPEG), "image/jpeg");
    cr_assert_str_eq(image_media_type(IMAGE_PNG), "image/png");
    cr_assert_str_eq(image_media_type(IMAGE_WEBP), "image/webp");
    cr_assert_null(image_media_type(IMAGE_NONE));
}

Test(image, crc32_matches_the_standard_check_value)
{
    cr_assert_eq(image_crc32((const unsigned char *)"123456789", 9),
                 0xCBF43926u);
}

/* The shortest prefix of f that is still accepted. */
static size_t
shortest_accepted(const struct file *f)
{
    for (size_t n = 0; n <= f->len; n++)
        if (sniff(f->data, n) != IMAGE_NONE)
            return n;
    return f->len + 1;
}

Test(image, a_truncated_header_is_refused)
{
    /* PNG: signature, IHDR and its CRC are 33 bytes. */
    struct file png = load("tiny.png");
    cr_assert_eq(shortest_accepted(&png), 33);
    free(png.data);

    /* JPEG: everything up to the end of the frame header (SOF0 with three
     * components: 2 + 2 + 17 bytes after its marker). */
    struct file jpg = load("tiny.jpg");
    size_t sof = 0;
    for (size_t i = 2; i + 1 < jpg.len; i++)
        if (jpg.data[i] == 0xFF && jpg.data[i + 1] == 0xC0) {
            sof = i;
            break;
        }
    cr_assert_gt(sof, 0);
    cr_assert_eq(shortest_accepted(&jpg), sof + 2 + 17);
    free(jpg.data);

    /* WEBP: the RIFF size names the whole file. */
    const char *webps[] = {"tiny.webp", "tiny-lossless.webp",
                           "tiny-alpha.webp"};
    for (size_t i = 0; i < 3; i++) {
        struct file w = load(webps[i]);
        cr_assert_eq(shortest_accepted(&w), w.len, "%s", webps[i]);
        free(w.data);
    }
}

/* A PNG header of width x height with a correct CRC. */
static void
png_header(unsigned char out[33], uint32_t width, uint32_t height,
           unsigned depth, unsigned color)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1A, '\n'};
    memcpy(out, sig, 8);
    const unsigned char len[4] = {0, 0, 0, 13};
    memcpy(out + 8, len, 4);
    memcpy(out + 12, "IHDR", 4);
    unsigned char *d = out + 16;
    for (int i = 0; i < 4; i++) {
        d[i] = (unsigned char)(width >> (24 - 8 * i));
        d[4 + i] = (unsigned char)(height >> (24 - 8 * i));
    }
    d[8] = (unsigned char)depth;
    d[9] = (unsigned char)color;
    d[10] = d[11] = d[12] = 0;
    uint32_t crc = image_crc32(out + 12, 17);
    for (int i = 0; i < 4; i++)
        out[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
}

static enum image_type
png_of(uint32_t width, uint32_t height)
{
    unsigned char h[33];
    png_header(h, width, height, 8, 2);
    return sniff(h, sizeof(h));
}

Test(image, dimensions_at_and_past_the_limits)
{
    cr_assert_eq(png_of(1, 1), IMAGE_PNG);
    cr_assert_eq(png_of(0, 1), IMAGE_NONE, "zero width");
    cr_assert_eq(png_of(1, 0), IMAGE_NONE, "zero height");
    cr_assert_eq(png_of(IMAGE_MAX_SIDE, 1), IMAGE_PNG);
    cr_assert_eq(png_of(IMAGE_MAX_SIDE + 1, 1), IMAGE_NONE);
    cr_assert_eq(png_of(1, IMAGE_MAX_SIDE), IMAGE_PNG);
    cr_assert_eq(png_of(1, IMAGE_MAX_SIDE + 1), IMAGE_NONE);
    /* 30000 x 8333 = 249 990 000 pixels; x 8334 is 250 020 000. */
    cr_assert_eq(png_of(30000, 8333), IMAGE_PNG);
    cr_assert_eq(png_of(30000, 8334), IMAGE_NONE);
    cr_assert_eq(png_of(0xFFFFFFFFu, 0xFFFFFFFFu), IMAGE_NONE);
}

Test(image, png_header_rules)
{
    unsigned char h[33];
    png_header(h, 4, 3, 8, 2);
    cr_assert_eq(sniff(h, 33), IMAGE_PNG);
    h[30] ^= 0x01; /* the CRC */
    cr_assert_eq(sniff(h, 33), IMAGE_NONE, "bad CRC");

    const struct {
        unsigned depth, color;
        bool ok;
    } combos[] = {{1, 0, true},  {16, 0, true}, {3, 0, false},  {8, 2, true},
                  {4, 2, false}, {8, 3, true},  {16, 3, false}, {16, 4, true},
                  {8, 6, true},  {1, 6, false}, {8, 1, false},  {8, 5, false}};
    for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
        png_header(h, 4, 3, combos[i].depth, combos[i].color);
        cr_assert_eq(sniff(h, 33) == IMAGE_PNG, combos[i].ok,
                     "depth %u color %u", combos[i].depth, combos[i].color);
    }

    /* Compression, filter and interlace methods (CRC recomputed). */
    for (int field = 10; field <= 12; field++) {
        png_header(h, 4, 3, 8, 2);
        h[16 + field] = 2;
        uint32_t crc = image_crc32(h + 12, 17);
        for (int i = 0; i < 4; i++)
            h[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
        cr_assert_eq(sniff(h, 33), IMAGE_NONE, "method byte %d", field);
    }

    /* IHDR must come first with length 13. */
    png_header(h, 4, 3, 8, 2);
    h[11] = 12;
    cr_assert_eq(sniff(h, 33), IMAGE_NONE, "IHDR length 12");
    png_header(h, 4, 3, 8, 2);
    memcpy(h + 12, "IDAT", 4);
    cr_assert_eq(sniff(h, 33), IMAGE_NONE, "IDAT first");
}

Test(image, jpeg_marker_rules)
{
    /* SOI, a COM segment, SOF0 of 1 component 7 x 5. */
    unsigned char j[] = {0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, 'h',
                         'i',  0xFF, 0xC0, 0x00, 0x0B, 8,    0x00,
                         5,    0x00, 7,    1,    1,    0x11, 0x00};
    struct image_info info;
    cr_assert(image_sniff(j, sizeof(j), &info));
    cr_assert_eq(info.type, IMAGE_JPEG);
    cr_assert_eq(info.width, 7);
    cr_assert_eq(info.height, 5);

    unsigned char bad[sizeof(j)];
    memcpy(bad, j, sizeof(j));
    bad[14] = 0; /* height 0: defined later by DNL */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "height 0");
    memcpy(bad, j, sizeof(j));
    bad[12] = 7; /* precision */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "precision 7");
    memcpy(bad, j, sizeof(j));
    bad[12] = 12;
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_JPEG, "12-bit is fine");
    memcpy(bad, j, sizeof(j));
    bad[9] = 0xDA; /* a scan before the frame */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "SOS first");
    memcpy(bad, j, sizeof(j));
    bad[9] = 0xC5; /* differential: needs DHP */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "SOF5");
    memcpy(bad, j, sizeof(j));
    bad[3] = 0x01; /* TEM: standalone, not before a frame */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "TEM");
    memcpy(bad, j, sizeof(j));
    bad[5] = 0x01; /* a segment length below 2 */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "length 1");
    memcpy(bad, j, sizeof(j));
    bad[5] = 0x40; /* a segment running past the data */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "overlong segment");
    memcpy(bad, j, sizeof(j));
    bad[17] = 2; /* two components declared, one present */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "component count");
    memcpy(bad, j, sizeof(j));
    bad[19] = 0x51; /* sampling factor 5 */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_NONE, "sampling 5");
    memcpy(bad, j, sizeof(j));
    bad[6] = 0xFF; /* inside a segment, 0xFF is just data */
    cr_assert_eq(sniff(bad, sizeof(bad)), IMAGE_JPEG);

    /* Fill bytes (0xFF) may precede a marker. */
    unsigned char fill[sizeof(j) + 2];
    memcpy(fill, j, 8);
    fill[8] = 0xFF;
    fill[9] = 0xFF;
    memcpy(fill + 10, j + 8, sizeof(j) - 8);
    cr_assert_eq(sniff(fill, sizeof(fill)), IMAGE_JPEG);

    const unsigned char soi_eoi[] = {0xFF, 0xD8, 0xFF, 0xD9};
    cr_assert_eq(sniff(soi_eoi, sizeof(soi_eoi)), IMAGE_NONE);
}

Test(image, webp_container_rules)
{
    struct file f = load("tiny.webp");
    unsigned char *w = malloc(f.len + 16);
    memcpy(w, f.data, f.len);
    cr_assert_eq(sniff(w, f.len), IMAGE_WEBP);
    /* Trailing bytes after the RIFF are tolerated. */
    memset(w + f.len, 0, 16);
    cr_assert_eq(sniff(w, f.len + 16), IMAGE_WEBP);

    memcpy(w + 8, "WAVE", 4);
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "RIFF of another form");
    memcpy(w, f.data, f.len);
    w[4] = (unsigned char)(w[4] + 2); /* RIFF size past the data */
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "RIFF size");
    memcpy(w, f.data, f.len);
    w[16] = 0xFF; /* VP8 chunk larger than the RIFF */
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "chunk size");
    memcpy(w, f.data, f.len);
    w[20] |= 1; /* not a key frame */
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "inter frame");
    memcpy(w, f.data, f.len);
    w[23] = 0x9C; /* start code */
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "start code");
    memcpy(w, f.data, f.len);
    w[26] = 0;
    w[27] &= 0xC0; /* width 0 */
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "width 0");
    memcpy(w, f.data, f.len);
    memcpy(w + 12, "VP9 ", 4);
    cr_assert_eq(sniff(w, f.len), IMAGE_NONE, "unknown chunk");
    free(w);
    free(f.data);

    struct file l = load("tiny-lossless.webp");
    l.data[20] = 0x2E; /* VP8L signature */
    cr_assert_eq(sniff(l.data, l.len), IMAGE_NONE, "VP8L signature");
    free(l.data);
    l = load("tiny-lossless.webp");
    l.data[24] |= 0x20; /* VP8L version 1 */
    cr_assert_eq(sniff(l.data, l.len), IMAGE_NONE, "VP8L version");
    free(l.data);

    struct file x = load("tiny-alpha.webp");
    cr_assert_eq(memcmp(x.data + 12, "VP8X", 4), 0);
    x.data[16] = 12; /* VP8X chunk size other than 10 */
    cr_assert_eq(sniff(x.data, x.len), IMAGE_NONE, "VP8X size");
    free(x.data);
}

Test(image, every_prefix_and_byte_flip_is_handled_safely)
{
    /* Under the sanitizers: no read past n whatever the bytes are. */
    const char *names[] = {
        "tiny.png",  "tiny.jpg",           "tiny-progressive.jpg",
        "tiny.webp", "tiny-lossless.webp", "tiny-alpha.webp"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct file f = load(names[i]);
        for (size_t n = 0; n < f.len; n++) {
            unsigned char *copy = malloc(n ? n : 1);
            memcpy(copy, f.data, n);
            (void)sniff(copy, n);
            free(copy);
        }
        for (size_t pos = 0; pos < f.len && pos < 64; pos++)
            for (int v = 0; v < 256; v += 17) {
                unsigned char saved = f.data[pos];
                f.data[pos] = (unsigned char)v;
                (void)sniff(f.data, f.len);
                f.data[pos] = saved;
            }
        free(f.data);
    }
}
