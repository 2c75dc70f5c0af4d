/* image.h - what kind of picture a file is, decided by its content only
 * (SPEC §5.4): never by its name or the type a client declares.
 *
 * A file is accepted as JPEG, PNG or WEBP when its magic bytes are right AND
 * its header decodes: the JPEG marker segments up to a frame header, the
 * PNG IHDR chunk with its CRC, the WEBP RIFF container and its first image
 * chunk.  Dimensions must be sane (see IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS).
 * The pixel data itself is not decoded. */
#ifndef RMA_IMAGE_H
#define RMA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger than any camera or phone makes (a 200 MP sensor is 16320 x 12240,
 * a phone panorama about 20000 wide); bounds what a later decoder would
 * allocate for a picture sent to us. */
#define IMAGE_MAX_SIDE 30000u
#define IMAGE_MAX_PIXELS 250000000u

enum image_type {
    IMAGE_NONE = 0, /* not one of the accepted pictures */
    IMAGE_JPEG,
    IMAGE_PNG,
    IMAGE_WEBP,
};

struct image_info {
    enum image_type type;
    uint32_t width;
    uint32_t height;
};

/* Decides the type of the file whose bytes are data[0..n) (the whole file,
 * or at least its beginning: JPEG and PNG need only their headers, while a
 * WEBP whose RIFF size runs past n is refused as truncated).  Fills *out
 * and returns true for an accepted picture; returns false, with out->type
 * IMAGE_NONE, for anything else.  Pure: no I/O, no allocation. */
bool image_sniff(const unsigned char *data, size_t n, struct image_info *out);

/* "image/jpeg", "image/png", "image/webp"; NULL for IMAGE_NONE.  Static. */
const char *image_media_type(enum image_type type);

/* CRC-32 (ISO-HDLC, as PNG and zlib use it) of data[0..n). */
uint32_t image_crc32(const unsigned char *data, size_t n);

#endif
