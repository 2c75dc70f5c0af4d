/* image.c - JPEG, PNG and WEBP recognized by their decodable headers. */
#include "rma/image.h"

#include <string.h>

static uint32_t
be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint32_t
le16(const unsigned char *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | le24(p);
}

uint32_t
image_crc32(const unsigned char *data, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

static bool
sane(uint32_t width, uint32_t height)
{
    return width >= 1 && height >= 1 && width <= IMAGE_MAX_SIDE &&
           height <= IMAGE_MAX_SIDE &&
           (uint64_t)width * height <= IMAGE_MAX_PIXELS;
}

static bool
accept(struct image_info *out, enum image_type type, uint32_t width,
       uint32_t height)
{
    if (!sane(width, height))
        return false;
    out->type = type;
    out->width = width;
    out->height = height;
    return true;
}

/* ------------------------------------------------------------------ */
/* JPEG (ITU T.81): SOI, then marker segments up to the frame header. */

/* Frame headers of the non-hierarchical processes: baseline, extended,
 * progressive and lossless, Huffman or arithmetic coded.  The differential
 * ones (C5-C7, CD-CF) only follow a DHP segment, which is not accepted. */
static bool
jpeg_is_frame(unsigned m)
{
    return m == 0xC0 || m == 0xC1 || m == 0xC2 || m == 0xC3 || m == 0xC9 ||
           m == 0xCA || m == 0xCB;
}

/* Segments that may come before the frame header: APPn, DQT, DHT, DAC,
 * DRI and COM.  Everything else there (SOS, EOI, RSTn, a second SOI,
 * reserved markers) is not a JPEG we accept. */
static bool
jpeg_is_table_or_misc(unsigned m)
{
    return (m >= 0xE0 && m <= 0xEF) || m == 0xDB || m == 0xC4 || m == 0xCC ||
           m == 0xDD || m == 0xFE;
}

/* The frame header's parameters p[0..len) (after its length field). */
static bool
jpeg_frame(unsigned marker, const unsigned char *p, size_t len,
           struct image_info *out)
{
    if (len < 6)
        return false;
    unsigned precision = p[0];
    uint32_t height = be16(p + 1), width = be16(p + 3);
    unsigned ncomp = p[5];
    bool lossless = marker == 0xC3 || marker == 0xCB;
    if (lossless ? (precision < 2 || precision > 16)
                 : (precision != 8 && precision != 12))
        return false;
    if (ncomp < 1 || ncomp > 4 || len != 6 + 3 * (size_t)ncomp)
        return false;
    for (unsigned c = 0; c < ncomp; c++) {
        const unsigned char *comp = p + 6 + 3 * c;
        unsigned h = comp[1] >> 4, v = comp[1] & 0x0F;
        if (h < 1 || h > 4 || v < 1 || v > 4 || comp[2] > 3)
            return false;
    }
    /* A height of 0 defers it to a DNL segment after the first scan: not a
     * header we can decide on. */
    return accept(out, IMAGE_JPEG, width, height);
}

static bool
jpeg_sniff(const unsigned char *p, size_t n, struct image_info *out)
{
    if (n < 4 || p[0] != 0xFF || p[1] != 0xD8 || p[2] != 0xFF)
        return false;
    size_t i = 2;
    for (;;) {
        if (i >= n || p[i] != 0xFF)
            return false;
        while (i < n && p[i] == 0xFF) /* fill bytes before a marker */
            i++;
        if (i >= n)
            return false;
        unsigned marker = p[i++];
        bool frame = jpeg_is_frame(marker);
        if (!frame && !jpeg_is_table_or_misc(marker))
            return false;
        if (n - i < 2)
            return false;
        size_t len = be16(p + i); /* counts itself, not the marker */
        if (len < 2 || len > n - i)
            return false;
        if (frame)
            return jpeg_frame(marker, p + i + 2, len - 2, out);
        i += len;
    }
}

/* ------------------------------------------------------------------ */
/* PNG (ISO/IEC 15948): the signature, then IHDR first, with its CRC. */

static const unsigned char png_signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1A, '\n'};

static bool
png_depth_ok(unsigned color, unsigned depth)
{
    switch (color) {
    case 0: /* greyscale */
        return depth == 1 || depth == 2 || depth == 4 || depth == 8 ||
               depth == 16;
    case 3: /* palette */
        return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: /* RGB */
    case 4: /* greyscale + alpha */
    case 6: /* RGBA */ return depth == 8 || depth == 16;
    default: return false;
    }
}

static bool
png_sniff(const unsigned char *p, size_t n, struct image_info *out)
{
    /* signature 8, length 4, type 4, IHDR data 13, CRC 4 */
    if (n < 33 || memcmp(p, png_signature, 8) != 0)
        return false;
    if (be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        return false;
    const unsigned char *d = p + 16;
    if (image_crc32(p + 12, 4 + 13) != be32(p + 29))
        return false;
    uint32_t width = be32(d), height = be32(d + 4);
    unsigned depth = d[8], color = d[9];
    if (!png_depth_ok(color, depth))
        return false;
    if (d[10] != 0 || d[11] != 0 || d[12] > 1) /* compression, filter, */
        return false;                          /* interlace methods */
    return accept(out, IMAGE_PNG, width, height);
}

/* ------------------------------------------------------------------ */
/* WEBP (RFC 9649): a RIFF container of form WEBP whose first chunk is
 * "VP8 " (lossy), "VP8L" (lossless) or "VP8X" (extended). */

static bool
webp_vp8(const unsigned char *b, size_t size, struct image_info *out)
{
    if (size < 10)
        return false;
    uint32_t tag = le24(b);
    bool key_frame = (tag & 1) == 0;
    unsigned profile = (tag >> 1) & 7;
    bool shown = (tag >> 4) & 1;
    uint32_t first_partition = tag >> 5;
    if (!key_frame || profile > 3 || !shown || first_partition >= size)
        return false;
    if (b[3] != 0x9D || b[4] != 0x01 || b[5] != 0x2A) /* start code */
        return false;
    return accept(out, IMAGE_WEBP, le16(b + 6) & 0x3FFF, le16(b + 8) & 0x3FFF);
}

static bool
webp_vp8l(const unsigned char *b, size_t size, struct image_info *out)
{
    if (size < 5 || b[0] != 0x2F) /* signature */
        return false;
    uint32_t bits = le32(b + 1);
    if (bits >> 29 != 0) /* version */
        return false;
    return accept(out, IMAGE_WEBP, (bits & 0x3FFF) + 1,
                  ((bits >> 14) & 0x3FFF) + 1);
}

static bool
webp_vp8x(const unsigned char *b, size_t size, struct image_info *out)
{
    if (size != 10)
        return false;
    return accept(out, IMAGE_WEBP, le24(b + 4) + 1, le24(b + 7) + 1);
}

static bool
webp_sniff(const unsigned char *p, size_t n, struct image_info *out)
{
    /* "RIFF", size, "WEBP", then a chunk header: fourcc and size */
    if (n < 20 || memcmp(p, "RIFF", 4) != 0 || memcmp(p + 8, "WEBP", 4) != 0)
        return false;
    uint64_t riff_end = 8 + (uint64_t)le32(p + 4);
    if (riff_end < 20 || riff_end > n) /* empty, or truncated */
        return false;
    uint64_t chunk_size = le32(p + 16);
    if (20 + chunk_size > riff_end)
        return false;
    const unsigned char *b = p + 20;
    if (memcmp(p + 12, "VP8 ", 4) == 0)
        return webp_vp8(b, (size_t)chunk_size, out);
    if (memcmp(p + 12, "VP8L", 4) == 0)
        return webp_vp8l(b, (size_t)chunk_size, out);
    if (memcmp(p + 12, "VP8X", 4) == 0)
        return webp_vp8x(b, (size_t)chunk_size, out);
    return false;
}

bool
image_sniff(const unsigned char *data, size_t n, struct image_info *out)
{
    memset(out, 0, sizeof(*out));
    if (data == NULL)
        return false;
    if (jpeg_sniff(data, n, out) || png_sniff(data, n, out) ||
        webp_sniff(data, n, out))
        return true;
    memset(out, 0, sizeof(*out)); /* a sniffer may have failed late */
    return false;
}

const char *
image_media_type(enum image_type type)
{
    switch (type) {
    case IMAGE_JPEG: return "image/jpeg";
    case IMAGE_PNG: return "image/png";
    case IMAGE_WEBP: return "image/webp";
    case IMAGE_NONE: break;
    }
    return NULL;
}
