/*
 * vk -- the headless Vulkan compute backend.  See vk.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shaders.h"
#include "vk.h"

#define MAX_PIPES 8
#define MAX_BIND 16
#define STAGING_SIZE (UINT64_C(64) << 20)

struct vk_pipe {
	char name[64];
	unsigned nbind, push;
	VkShaderModule mod;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipe;
};

/* A slot for work in flight: its own command buffer, fence, descriptor
 * set and timestamps, made on first use. */
struct vk_slot {
	VkCommandBuffer cb;
	VkFence fence;
	VkDescriptorPool dpool;
	VkQueryPool qpool;
	int busy;
};

struct qhb_vk {
	VkInstance inst;
	VkPhysicalDevice pd;
	VkPhysicalDeviceProperties props;
	VkPhysicalDeviceMemoryProperties memp;
	VkDevice dev;
	VkQueue queue;
	uint32_t qfam;
	int host_import;
	uint64_t host_align;
	PFN_vkGetMemoryHostPointerPropertiesEXT host_props;
	VkCommandPool cpool;
	VkCommandBuffer cb;
	VkFence fence;
	VkQueryPool qpool;
	int timestamps;
	VkPipelineCache cache;
	char cache_path[4096];
	VkDescriptorPool dpool;
	struct vk_pipe pipes[MAX_PIPES];
	unsigned npipes;
	struct qhb_vk_buf staging;
	uint64_t chunk;
	struct qhb_vk_stats st;
	struct vk_slot slots[QHB_VK_SLOTS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int vkfail(struct qhb_err *e, const char *what, VkResult r)
{
	return qhb_err_set(e, "%s: Vulkan error %d", what, (int)r);
}

static void cache_load(struct qhb_vk *vk, struct qhb_err *e)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	VkPipelineCacheCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
	};
	void *data = NULL;
	FILE *f;
	long n;

	if (xdg != NULL && *xdg)
		snprintf(vk->cache_path, sizeof(vk->cache_path),
		    "%s/qhb/pipelines-%04x-%04x.bin", xdg, vk->props.vendorID,
		    vk->props.deviceID);
	else if (home != NULL && *home)
		snprintf(vk->cache_path, sizeof(vk->cache_path),
		    "%s/.cache/qhb/pipelines-%04x-%04x.bin", home,
		    vk->props.vendorID, vk->props.deviceID);
	if (vk->cache_path[0] && (f = fopen(vk->cache_path, "rb")) != NULL) {
		if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
		    n < (64l << 20) && fseek(f, 0, SEEK_SET) == 0 &&
		    (data = malloc((size_t)n)) != NULL &&
		    fread(data, 1, (size_t)n, f) == (size_t)n) {
			ci.initialDataSize = (size_t)n;
			ci.pInitialData = data;
		}
		fclose(f);
	}
	/* A cache the driver rejects is dropped: pipelines are rebuilt. */
	if (vkCreatePipelineCache(vk->dev, &ci, NULL, &vk->cache) != VK_SUCCESS) {
		ci.initialDataSize = 0;
		ci.pInitialData = NULL;
		if (vkCreatePipelineCache(vk->dev, &ci, NULL, &vk->cache) !=
		    VK_SUCCESS)
			vk->cache = VK_NULL_HANDLE;
	}
	free(data);
	(void)e;
}

static void mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
}

static void cache_save(struct qhb_vk *vk)
{
	size_t n = 0;
	void *data;
	char tmp[4200];
	FILE *f;

	if (vk->cache == VK_NULL_HANDLE || !vk->cache_path[0] ||
	    vkGetPipelineCacheData(vk->dev, vk->cache, &n, NULL) != VK_SUCCESS ||
	    n == 0 || (data = malloc(n)) == NULL)
		return;
	if (vkGetPipelineCacheData(vk->dev, vk->cache, &n, data) == VK_SUCCESS) {
		mkdirs(vk->cache_path);
		snprintf(tmp, sizeof(tmp), "%s.%d", vk->cache_path, (int)getpid());
		if ((f = fopen(tmp, "wb")) != NULL) {
			int ok = fwrite(data, 1, n, f) == n;
			if (fclose(f) == 0 && ok)
				rename(tmp, vk->cache_path);
			else
				unlink(tmp);
		}
	}
	free(data);
}

static int pick_device(struct qhb_vk *vk, struct qhb_err *e)
{
	VkPhysicalDevice pds[16];
	VkPhysicalDeviceProperties pp[16];
	uint32_t n = 16, i, best = UINT32_MAX;
	const char *want = getenv("QHB_DEVICE");
	VkResult r;

	r = vkEnumeratePhysicalDevices(vk->inst, &n, pds);
	if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || n == 0)
		return qhb_err_set(e, "no Vulkan device");
	for (i = 0; i < n; i++)
		vkGetPhysicalDeviceProperties(pds[i], &pp[i]);
	if (want != NULL && *want) {
		char *end;
		unsigned long k = strtoul(want, &end, 10);
		if (*end == '\0' && k < n)
			best = (uint32_t)k;
		for (i = 0; best == UINT32_MAX && i < n; i++)
			if (strstr(pp[i].deviceName, want) != NULL)
				best = i;
		if (best == UINT32_MAX)
			return qhb_err_set(e, "QHB_DEVICE=%s: no such device among "
			    "%u", want, n);
	}
	for (int pass = 0; best == UINT32_MAX && pass < 3; pass++) {
		static const VkPhysicalDeviceType order[3] = {
			VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU,
			VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU,
			VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM,
		};
		for (i = 0; best == UINT32_MAX && i < n; i++)
			if (pass == 2 || pp[i].deviceType == order[pass])
				best = i;
	}
	vk->pd = pds[best];
	vk->props = pp[best];
	return 0;
}

struct qhb_vk *qhb_vk_open(struct qhb_err *e)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "qhb", .apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &app,
	};
	float prio = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1, .pQueuePriorities = &prio,
	};
	const char *exts[1] = { VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME };
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1, .pQueueCreateInfos = &qci,
		.ppEnabledExtensionNames = exts,
	};
	VkQueueFamilyProperties qf[16];
	VkExtensionProperties *ep = NULL;
	uint32_t nq = 16, ne = 0, i;
	struct qhb_vk *vk;
	VkResult r;
	const char *env;

	if ((vk = calloc(1, sizeof(*vk))) == NULL) {
		qhb_err_sys(e, "malloc");
		return NULL;
	}
	if ((r = vkCreateInstance(&ici, NULL, &vk->inst)) != VK_SUCCESS) {
		vk->inst = VK_NULL_HANDLE;
		qhb_err_set(e, "no Vulkan driver (vkCreateInstance: %d)", (int)r);
		goto fail;
	}
	if (pick_device(vk, e))
		goto fail;
	vkGetPhysicalDeviceMemoryProperties(vk->pd, &vk->memp);
	vkGetPhysicalDeviceQueueFamilyProperties(vk->pd, &nq, qf);
	for (i = 0; i < nq; i++)
		if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
			break;
	if (i == nq) {
		qhb_err_set(e, "%s: no compute queue", vk->props.deviceName);
		goto fail;
	}
	vk->qfam = i;
	vk->timestamps = qf[i].timestampValidBits > 0 &&
	    vk->props.limits.timestampPeriod > 0;
	qci.queueFamilyIndex = i;
	vkEnumerateDeviceExtensionProperties(vk->pd, NULL, &ne, NULL);
	if (ne > 0 && (ep = calloc(ne, sizeof(*ep))) != NULL &&
	    vkEnumerateDeviceExtensionProperties(vk->pd, NULL, &ne, ep) ==
	    VK_SUCCESS)
		for (i = 0; i < ne; i++)
			if (strcmp(ep[i].extensionName, exts[0]) == 0)
				vk->host_import = 1;
	free(ep);
	if ((env = getenv("QHB_VK_IMPORT")) != NULL && strcmp(env, "0") == 0)
		vk->host_import = 0;
	dci.enabledExtensionCount = vk->host_import ? 1 : 0;
	if ((r = vkCreateDevice(vk->pd, &dci, NULL, &vk->dev)) != VK_SUCCESS) {
		vk->dev = VK_NULL_HANDLE;
		vkfail(e, "vkCreateDevice", r);
		goto fail;
	}
	if (vk->host_import) {
		VkPhysicalDeviceExternalMemoryHostPropertiesEXT hp = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
		};
		VkPhysicalDeviceProperties2 p2 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
			.pNext = &hp,
		};
		vkGetPhysicalDeviceProperties2(vk->pd, &p2);
		vk->host_align = hp.minImportedHostPointerAlignment;
		vk->host_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)
		    vkGetDeviceProcAddr(vk->dev, "vkGetMemoryHostPointerPropertiesEXT");
		if (vk->host_props == NULL || vk->host_align == 0)
			vk->host_import = 0;
	}
	vkGetDeviceQueue(vk->dev, vk->qfam, 0, &vk->queue);
	{
		VkCommandPoolCreateInfo pci = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
			.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
			.queueFamilyIndex = vk->qfam,
		};
		VkCommandBufferAllocateInfo cai = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
			.commandBufferCount = 1,
		};
		VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
		VkQueryPoolCreateInfo qpi = {
			.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
			.queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2,
		};
		VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			MAX_BIND };
		VkDescriptorPoolCreateInfo dpi = {
			.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
			.maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps,
		};
		if ((r = vkCreateCommandPool(vk->dev, &pci, NULL, &vk->cpool)) ||
		    (cai.commandPool = vk->cpool,
		    r = vkAllocateCommandBuffers(vk->dev, &cai, &vk->cb)) ||
		    (r = vkCreateFence(vk->dev, &fci, NULL, &vk->fence)) ||
		    (r = vkCreateDescriptorPool(vk->dev, &dpi, NULL, &vk->dpool))) {
			vkfail(e, "command pool", r);
			goto fail;
		}
		if (vk->timestamps &&
		    vkCreateQueryPool(vk->dev, &qpi, NULL, &vk->qpool) != VK_SUCCESS)
			vk->timestamps = 0;
	}
	cache_load(vk, e);
	vk->chunk = UINT64_C(1) << 62;
	while (vk->chunk > vk->props.limits.maxStorageBufferRange)
		vk->chunk >>= 1;
	if ((env = getenv("QHB_VK_CHUNK")) != NULL) {
		unsigned long long c = strtoull(env, NULL, 0);
		while (c >= 4096 && vk->chunk > c)
			vk->chunk >>= 1;
	}
	return vk;
fail:
	qhb_vk_close(vk);
	return NULL;
}

void qhb_vk_close(struct qhb_vk *vk)
{
	if (vk == NULL)
		return;
	if (vk->dev != VK_NULL_HANDLE) {
		vkDeviceWaitIdle(vk->dev);
		qhb_vk_buf_free(vk, &vk->staging);
		for (unsigned i = QHB_VK_SLOTS; i-- > 0;) {
			struct vk_slot *sl = &vk->slots[i];
			if (sl->qpool != VK_NULL_HANDLE)
				vkDestroyQueryPool(vk->dev, sl->qpool, NULL);
			if (sl->dpool != VK_NULL_HANDLE)
				vkDestroyDescriptorPool(vk->dev, sl->dpool, NULL);
			if (sl->fence != VK_NULL_HANDLE)
				vkDestroyFence(vk->dev, sl->fence, NULL);
			if (sl->cb != VK_NULL_HANDLE)
				vkFreeCommandBuffers(vk->dev, vk->cpool, 1, &sl->cb);
		}
		for (unsigned i = vk->npipes; i-- > 0;) {
			struct vk_pipe *p = &vk->pipes[i];
			vkDestroyPipeline(vk->dev, p->pipe, NULL);
			vkDestroyPipelineLayout(vk->dev, p->layout, NULL);
			vkDestroyDescriptorSetLayout(vk->dev, p->dsl, NULL);
			vkDestroyShaderModule(vk->dev, p->mod, NULL);
		}
		if (vk->cache != VK_NULL_HANDLE) {
			cache_save(vk);
			vkDestroyPipelineCache(vk->dev, vk->cache, NULL);
		}
		if (vk->qpool != VK_NULL_HANDLE)
			vkDestroyQueryPool(vk->dev, vk->qpool, NULL);
		if (vk->dpool != VK_NULL_HANDLE)
			vkDestroyDescriptorPool(vk->dev, vk->dpool, NULL);
		if (vk->fence != VK_NULL_HANDLE)
			vkDestroyFence(vk->dev, vk->fence, NULL);
		if (vk->cpool != VK_NULL_HANDLE)
			vkDestroyCommandPool(vk->dev, vk->cpool, NULL);
		vkDestroyDevice(vk->dev, NULL);
	}
	if (vk->inst != VK_NULL_HANDLE)
		vkDestroyInstance(vk->inst, NULL);
	free(vk);
}

const char *qhb_vk_device_name(const struct qhb_vk *vk)
{
	return vk->props.deviceName;
}

const char *qhb_vk_cache_path(const struct qhb_vk *vk)
{
	return vk->cache_path;
}

uint64_t qhb_vk_chunk(const struct qhb_vk *vk)
{
	return vk->chunk;
}

const struct qhb_vk_stats *qhb_vk_stats(const struct qhb_vk *vk)
{
	return &vk->st;
}

static int mem_type(const struct qhb_vk *vk, uint32_t bits,
    VkMemoryPropertyFlags want)
{
	for (uint32_t i = 0; i < vk->memp.memoryTypeCount; i++)
		if ((bits >> i & 1) &&
		    (vk->memp.memoryTypes[i].propertyFlags & want) == want)
			return (int)i;
	return -1;
}

/* Imports [host, host + size) in place, or returns -1 (no error: the
 * caller copies instead). */
static int buf_import(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t size,
    const void *host)
{
	uintptr_t p = (uintptr_t)host, base = p & ~(uintptr_t)(vk->host_align - 1);
	uint64_t n = (p - base + size + vk->host_align - 1) &
	    ~(vk->host_align - 1);
	VkExternalMemoryBufferCreateInfo ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
	};
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &ext,
		.size = n, .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
		    VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryHostPointerPropertiesEXT hp = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VkImportMemoryHostPointerInfoEXT imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
		.pHostPointer = (void *)base,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &imp,
		.allocationSize = n,
	};
	VkMemoryRequirements mr;
	int t;

	if (!vk->host_import || size < (UINT64_C(1) << 20) ||
	    (p - base) % vk->props.limits.minStorageBufferOffsetAlignment != 0)
		return -1;
	if (vk->host_props(vk->dev,
	    VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, (void *)base,
	    &hp) != VK_SUCCESS)
		return -1;
	if (vkCreateBuffer(vk->dev, &bci, NULL, &b->buf) != VK_SUCCESS)
		return -1;
	vkGetBufferMemoryRequirements(vk->dev, b->buf, &mr);
	if ((t = mem_type(vk, mr.memoryTypeBits & hp.memoryTypeBits, 0)) < 0 ||
	    (mai.memoryTypeIndex = (uint32_t)t,
	    vkAllocateMemory(vk->dev, &mai, NULL, &b->mem)) != VK_SUCCESS ||
	    vkBindBufferMemory(vk->dev, b->buf, b->mem, 0) != VK_SUCCESS) {
		if (b->mem != VK_NULL_HANDLE)
			vkFreeMemory(vk->dev, b->mem, NULL);
		vkDestroyBuffer(vk->dev, b->buf, NULL);
		memset(b, 0, sizeof(*b));
		return -1;
	}
	b->size = size;
	b->imported = 1;
	b->host_off = p - base;
	vk->st.imported_bytes += size;
	return 0;
}

static int buf_alloc(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t size,
    int staging, struct qhb_err *e)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size ? size : 4,
		.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
		    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
	};
	const VkMemoryPropertyFlags hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
	    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	const VkMemoryPropertyFlags dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
	int discrete = vk->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
	VkMemoryPropertyFlags tries[3];
	VkMemoryRequirements mr;
	VkResult r;
	int t = -1;

	memset(b, 0, sizeof(*b));
	/* Discrete GPUs: device memory, reached through a staging buffer;
	 * others share memory with the host and map it. */
	if (staging == 2) {
		/* written by the host, read by shaders: device memory the
		 * host can map where there is such */
		tries[0] = dl | hv;
		tries[1] = hv;
		tries[2] = hv;
	} else if (staging) {
		tries[0] = hv | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
		tries[1] = hv;
		tries[2] = hv;
	} else if (discrete) {
		tries[0] = tries[1] = tries[2] = dl;
	} else {
		tries[0] = dl | hv;
		tries[1] = hv;
		tries[2] = dl;
	}
	if ((r = vkCreateBuffer(vk->dev, &bci, NULL, &b->buf)) != VK_SUCCESS) {
		b->buf = VK_NULL_HANDLE;
		return vkfail(e, "vkCreateBuffer", r);
	}
	vkGetBufferMemoryRequirements(vk->dev, b->buf, &mr);
	mai.allocationSize = mr.size;
	r = VK_ERROR_OUT_OF_DEVICE_MEMORY;
	for (int i = 0; i < 3 && r != VK_SUCCESS; i++) {
		if ((t = mem_type(vk, mr.memoryTypeBits, tries[i])) < 0)
			continue;
		mai.memoryTypeIndex = (uint32_t)t;
		r = vkAllocateMemory(vk->dev, &mai, NULL, &b->mem);
	}
	if (r != VK_SUCCESS) {
		vkDestroyBuffer(vk->dev, b->buf, NULL);
		memset(b, 0, sizeof(*b));
		return qhb_err_set(e, "%llu bytes of device memory: Vulkan error %d",
		    (unsigned long long)size, (int)r);
	}
	vkBindBufferMemory(vk->dev, b->buf, b->mem, 0);
	if ((vk->memp.memoryTypes[t].propertyFlags & hv) == hv &&
	    vkMapMemory(vk->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map) !=
	    VK_SUCCESS)
		b->map = NULL;
	b->size = size;
	return 0;
}

int qhb_vk_buf_new(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t size,
    const void *host, struct qhb_err *e)
{
	memset(b, 0, sizeof(*b));
	if (host != NULL && buf_import(vk, b, size, host) == 0)
		return 0;
	if (buf_alloc(vk, b, size, 0, e))
		return -1;
	if (host != NULL && qhb_vk_write(vk, b, 0, host, size, e)) {
		qhb_vk_buf_free(vk, b);
		return -1;
	}
	return 0;
}

int qhb_vk_buf_new_host(struct qhb_vk *vk, struct qhb_vk_buf *b,
    uint64_t size, int shader_reads, struct qhb_err *e)
{
	if (buf_alloc(vk, b, size, shader_reads ? 2 : 1, e))
		return -1;
	if (b->map == NULL) {
		qhb_vk_buf_free(vk, b);
		return qhb_err_set(e, "%llu bytes of host-visible memory: none "
		    "mapped", (unsigned long long)size);
	}
	return 0;
}

void qhb_vk_buf_free(struct qhb_vk *vk, struct qhb_vk_buf *b)
{
	if (b->buf == VK_NULL_HANDLE)
		return;
	vkDestroyBuffer(vk->dev, b->buf, NULL);
	if (b->map != NULL)
		vkUnmapMemory(vk->dev, b->mem);
	vkFreeMemory(vk->dev, b->mem, NULL);
	memset(b, 0, sizeof(*b));
}

static int submit(struct qhb_vk *vk, struct qhb_err *e)
{
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1, .pCommandBuffers = &vk->cb,
	};
	VkResult r;

	if ((r = vkEndCommandBuffer(vk->cb)) != VK_SUCCESS)
		return vkfail(e, "vkEndCommandBuffer", r);
	if ((r = vkQueueSubmit(vk->queue, 1, &si, vk->fence)) != VK_SUCCESS)
		return vkfail(e, "vkQueueSubmit", r);
	r = vkWaitForFences(vk->dev, 1, &vk->fence, VK_TRUE, UINT64_MAX);
	vkResetFences(vk->dev, 1, &vk->fence);
	return r == VK_SUCCESS ? 0 : vkfail(e, "vkWaitForFences", r);
}

static int begin(struct qhb_vk *vk, struct qhb_err *e)
{
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkResult r;

	vkResetCommandBuffer(vk->cb, 0);
	if ((r = vkBeginCommandBuffer(vk->cb, &bi)) != VK_SUCCESS)
		return vkfail(e, "vkBeginCommandBuffer", r);
	return 0;
}

/* Copies n bytes between the staging buffer and b, one way or the other. */
static int copy(struct qhb_vk *vk, const struct qhb_vk_buf *b, uint64_t off,
    uint64_t n, int to_device, struct qhb_err *e)
{
	VkBufferCopy c = { .size = n };

	if (begin(vk, e))
		return -1;
	if (to_device) {
		c.dstOffset = off + b->host_off;
		vkCmdCopyBuffer(vk->cb, vk->staging.buf, b->buf, 1, &c);
	} else {
		VkMemoryBarrier mb = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		};
		c.srcOffset = off + b->host_off;
		vkCmdCopyBuffer(vk->cb, b->buf, vk->staging.buf, 1, &c);
		vkCmdPipelineBarrier(vk->cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
		    VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
	}
	return submit(vk, e);
}

static int staging(struct qhb_vk *vk, struct qhb_err *e)
{
	if (vk->staging.buf != VK_NULL_HANDLE)
		return 0;
	if (buf_alloc(vk, &vk->staging, STAGING_SIZE, 1, e))
		return -1;
	if (vk->staging.map == NULL) {
		qhb_vk_buf_free(vk, &vk->staging);
		return qhb_err_set(e, "no host-visible memory for staging");
	}
	return 0;
}

int qhb_vk_write(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t off,
    const void *src, uint64_t n, struct qhb_err *e)
{
	uint64_t t0 = now_ns(), k;

	if (b->map != NULL) {
		memcpy((uint8_t *)b->map + off, src, n);
	} else {
		if (staging(vk, e))
			return -1;
		for (uint64_t done = 0; done < n; done += k) {
			k = n - done < STAGING_SIZE ? n - done : STAGING_SIZE;
			memcpy(vk->staging.map, (const uint8_t *)src + done, k);
			if (copy(vk, b, off + done, k, 1, e))
				return -1;
		}
	}
	vk->st.upload_bytes += n;
	vk->st.upload_ns += now_ns() - t0;
	return 0;
}

int qhb_vk_write_blocks(struct qhb_vk *vk, struct qhb_vk_buf *b,
    const uint64_t *dst_off, const uint8_t *src, const uint64_t *src_off,
    uint64_t len, uint64_t n, struct qhb_err *e)
{
	uint64_t t0 = now_ns(), per, i = 0;
	VkBufferCopy *c;

	if (b->map != NULL) {
		for (i = 0; i < n; i++)
			memcpy((uint8_t *)b->map + dst_off[i], src + src_off[i], len);
		goto out;
	}
	if (len == 0 || len > STAGING_SIZE)
		return qhb_err_set(e, "blocks of %llu bytes: too large to stage",
		    (unsigned long long)len);
	if (staging(vk, e))
		return -1;
	per = STAGING_SIZE / len;
	if ((c = calloc(per < n ? per : n, sizeof(*c))) == NULL)
		return qhb_err_sys(e, "malloc");
	while (i < n) {
		uint64_t k = n - i < per ? n - i : per;
		for (uint64_t m = 0; m < k; m++) {
			memcpy((uint8_t *)vk->staging.map + m * len,
			    src + src_off[i + m], len);
			c[m] = (VkBufferCopy){ m * len,
				dst_off[i + m] + b->host_off, len };
		}
		if (begin(vk, e))
			goto fail;
		vkCmdCopyBuffer(vk->cb, vk->staging.buf, b->buf, (uint32_t)k, c);
		if (submit(vk, e))
			goto fail;
		i += k;
	}
	free(c);
out:
	vk->st.upload_bytes += n * len;
	vk->st.upload_ns += now_ns() - t0;
	return 0;
fail:
	free(c);
	return -1;
}

int qhb_vk_read(struct qhb_vk *vk, const struct qhb_vk_buf *b, uint64_t off,
    void *dst, uint64_t n, struct qhb_err *e)
{
	uint64_t t0 = now_ns(), k;

	if (b->map != NULL) {
		memcpy(dst, (const uint8_t *)b->map + off, n);
	} else {
		if (staging(vk, e))
			return -1;
		for (uint64_t done = 0; done < n; done += k) {
			k = n - done < STAGING_SIZE ? n - done : STAGING_SIZE;
			if (copy(vk, b, off + done, k, 0, e))
				return -1;
			memcpy((uint8_t *)dst + done, vk->staging.map, k);
		}
	}
	vk->st.download_bytes += n;
	vk->st.download_ns += now_ns() - t0;
	return 0;
}

static struct vk_pipe *pipeline(struct qhb_vk *vk, const char *name,
    unsigned nbind, unsigned push, struct qhb_err *e)
{
	const struct qhb_shader *sh;
	VkDescriptorSetLayoutBinding lb[MAX_BIND];
	struct vk_pipe *p;
	VkResult r;
	unsigned i;

	for (i = 0; i < vk->npipes; i++)
		if (strcmp(vk->pipes[i].name, name) == 0 &&
		    vk->pipes[i].nbind == nbind && vk->pipes[i].push == push)
			return &vk->pipes[i];
	if (vk->npipes == MAX_PIPES || nbind > MAX_BIND) {
		qhb_err_set(e, "%s: too many pipelines or bindings", name);
		return NULL;
	}
	if ((sh = qhb_shader_find(name)) == NULL) {
		qhb_err_set(e, "no embedded shader called \"%s\"", name);
		return NULL;
	}
	p = &vk->pipes[vk->npipes];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->nbind = nbind;
	p->push = push;
	for (i = 0; i < nbind; i++)
		lb[i] = (VkDescriptorSetLayoutBinding){
			.binding = i, .descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		};
	VkShaderModuleCreateInfo smi = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = sh->size, .pCode = (const uint32_t *)(const void *)sh->spirv,
	};
	VkDescriptorSetLayoutCreateInfo dli = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = nbind, .pBindings = lb,
	};
	VkPushConstantRange pr = { VK_SHADER_STAGE_COMPUTE_BIT, 0, push };
	VkPipelineLayoutCreateInfo pli = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1, .pSetLayouts = &p->dsl,
		.pushConstantRangeCount = push ? 1 : 0, .pPushConstantRanges = &pr,
	};
	VkComputePipelineCreateInfo cpi = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main",
		},
	};
	if ((r = vkCreateShaderModule(vk->dev, &smi, NULL, &p->mod)) ||
	    (r = vkCreateDescriptorSetLayout(vk->dev, &dli, NULL, &p->dsl)) ||
	    (r = vkCreatePipelineLayout(vk->dev, &pli, NULL, &p->layout)) ||
	    (cpi.stage.module = p->mod, cpi.layout = p->layout,
	    r = vkCreateComputePipelines(vk->dev, vk->cache, 1, &cpi, NULL,
	    &p->pipe))) {
		vkfail(e, name, r);
		if (p->layout)
			vkDestroyPipelineLayout(vk->dev, p->layout, NULL);
		if (p->dsl)
			vkDestroyDescriptorSetLayout(vk->dev, p->dsl, NULL);
		if (p->mod)
			vkDestroyShaderModule(vk->dev, p->mod, NULL);
		return NULL;
	}
	vk->npipes++;
	return p;
}

/* Records into cb: name's dispatch on groups workgroups with its
 * descriptor set (allocated from dpool, which is reset), timestamps into
 * qpool's queries 0 and 1 when qpool is not null, and a barrier that
 * makes the shader's writes visible to transfers and the host. */
static int record(struct qhb_vk *vk, VkCommandBuffer cb,
    VkDescriptorPool dpool, VkQueryPool qpool, const char *name,
    const struct qhb_vk_binding *bind, unsigned nbind, const void *push,
    unsigned push_size, uint64_t groups, struct qhb_err *e)
{
	VkDescriptorBufferInfo bi[MAX_BIND];
	VkWriteDescriptorSet wr[MAX_BIND];
	VkDescriptorSet set;
	struct vk_pipe *p;
	VkResult r;
	uint32_t gx, gy;
	VkCommandBufferBeginInfo cbi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT |
		    VK_ACCESS_TRANSFER_READ_BIT,
	};

	if ((p = pipeline(vk, name, nbind, push_size, e)) == NULL)
		return -1;
	gx = groups < 32768 ? (uint32_t)groups : 32768;
	gy = (uint32_t)((groups + 32767) / 32768);
	if (gy > vk->props.limits.maxComputeWorkGroupCount[1])
		return qhb_err_set(e, "%s: %llu workgroups: too many", name,
		    (unsigned long long)groups);
	VkDescriptorSetAllocateInfo dai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = dpool, .descriptorSetCount = 1,
		.pSetLayouts = &p->dsl,
	};
	vkResetDescriptorPool(vk->dev, dpool, 0);
	if ((r = vkAllocateDescriptorSets(vk->dev, &dai, &set)) != VK_SUCCESS)
		return vkfail(e, "vkAllocateDescriptorSets", r);
	for (unsigned i = 0; i < nbind; i++) {
		bi[i] = (VkDescriptorBufferInfo){ bind[i].b->buf,
			bind[i].off + bind[i].b->host_off, bind[i].range };
		wr[i] = (VkWriteDescriptorSet){
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = set, .dstBinding = i, .descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.pBufferInfo = &bi[i],
		};
	}
	vkUpdateDescriptorSets(vk->dev, nbind, wr, 0, NULL);
	vkResetCommandBuffer(cb, 0);
	if ((r = vkBeginCommandBuffer(cb, &cbi)) != VK_SUCCESS)
		return vkfail(e, "vkBeginCommandBuffer", r);
	if (qpool != VK_NULL_HANDLE) {
		vkCmdResetQueryPool(cb, qpool, 0, 2);
		vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
		    qpool, 0);
	}
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE,
	    p->layout, 0, 1, &set, 0, NULL);
	if (push_size)
		vkCmdPushConstants(cb, p->layout, VK_SHADER_STAGE_COMPUTE_BIT,
		    0, push_size, push);
	vkCmdDispatch(cb, gx, gy, 1);
	if (qpool != VK_NULL_HANDLE)
		vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
		    qpool, 1);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	    VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
	    1, &mb, 0, NULL, 0, NULL);
	return 0;
}

/* Adds the dispatch time that qpool's two timestamps measured. */
static void count_time(struct qhb_vk *vk, VkQueryPool qpool)
{
	uint64_t ts[2];

	vk->st.dispatches++;
	if (qpool != VK_NULL_HANDLE && vkGetQueryPoolResults(vk->dev, qpool,
	    0, 2, sizeof(ts), ts, 8, VK_QUERY_RESULT_64_BIT |
	    VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS && ts[1] >= ts[0])
		vk->st.gpu_ns += (uint64_t)((double)(ts[1] - ts[0]) *
		    vk->props.limits.timestampPeriod);
}

int qhb_vk_run(struct qhb_vk *vk, const char *name,
    const struct qhb_vk_binding *bind, unsigned nbind, const void *push,
    unsigned push_size, uint64_t groups, struct qhb_err *e)
{
	VkQueryPool qpool = vk->timestamps ? vk->qpool : VK_NULL_HANDLE;

	if (groups == 0)
		return pipeline(vk, name, nbind, push_size, e) ? 0 : -1;
	if (record(vk, vk->cb, vk->dpool, qpool, name, bind, nbind, push,
	    push_size, groups, e) || submit(vk, e))
		return -1;
	count_time(vk, qpool);
	return 0;
}

/* Makes slot i's objects on first use. */
static int slot_init(struct qhb_vk *vk, unsigned i, struct qhb_err *e)
{
	struct vk_slot *sl = &vk->slots[i];
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = vk->cpool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, MAX_BIND };
	VkDescriptorPoolCreateInfo dpi = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps,
	};
	VkQueryPoolCreateInfo qpi = {
		.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
		.queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2,
	};
	VkResult r;

	if (sl->cb != VK_NULL_HANDLE)
		return 0;
	if ((r = vkAllocateCommandBuffers(vk->dev, &cai, &sl->cb))) {
		sl->cb = VK_NULL_HANDLE;
		return vkfail(e, "vkAllocateCommandBuffers", r);
	}
	if ((r = vkCreateFence(vk->dev, &fci, NULL, &sl->fence)) ||
	    (r = vkCreateDescriptorPool(vk->dev, &dpi, NULL, &sl->dpool))) {
		if (sl->fence != VK_NULL_HANDLE)
			vkDestroyFence(vk->dev, sl->fence, NULL);
		vkFreeCommandBuffers(vk->dev, vk->cpool, 1, &sl->cb);
		memset(sl, 0, sizeof(*sl));
		return vkfail(e, "slot", r);
	}
	if (vk->timestamps &&
	    vkCreateQueryPool(vk->dev, &qpi, NULL, &sl->qpool) != VK_SUCCESS)
		sl->qpool = VK_NULL_HANDLE;
	return 0;
}

int qhb_vk_run_async(struct qhb_vk *vk, unsigned slot, const char *name,
    const struct qhb_vk_binding *bind, unsigned nbind, const void *push,
    unsigned push_size, uint64_t groups, const struct qhb_vk_buf *from,
    const struct qhb_vk_buf *to, uint64_t n, struct qhb_err *e)
{
	struct vk_slot *sl;
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
	};
	VkResult r;

	if (slot >= QHB_VK_SLOTS)
		return qhb_err_set(e, "slot %u: expected 0 to %u", slot,
		    QHB_VK_SLOTS - 1);
	sl = &vk->slots[slot];
	if (sl->busy)
		return qhb_err_set(e, "slot %u: still in flight", slot);
	if (slot_init(vk, slot, e) || record(vk, sl->cb, sl->dpool, sl->qpool,
	    name, bind, nbind, push, push_size, groups ? groups : 1, e))
		return -1;
	if (from != NULL && n > 0) {
		VkBufferCopy c = { from->host_off, to->host_off, n };
		VkMemoryBarrier mb = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		};
		vkCmdCopyBuffer(sl->cb, from->buf, to->buf, 1, &c);
		vkCmdPipelineBarrier(sl->cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
		    VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
	}
	if ((r = vkEndCommandBuffer(sl->cb)) != VK_SUCCESS)
		return vkfail(e, "vkEndCommandBuffer", r);
	si.pCommandBuffers = &sl->cb;
	if ((r = vkQueueSubmit(vk->queue, 1, &si, sl->fence)) != VK_SUCCESS)
		return vkfail(e, "vkQueueSubmit", r);
	sl->busy = 1;
	return 0;
}

int qhb_vk_wait(struct qhb_vk *vk, unsigned slot, struct qhb_err *e)
{
	struct vk_slot *sl;
	VkResult r;

	if (slot >= QHB_VK_SLOTS || !vk->slots[slot].busy)
		return 0;
	sl = &vk->slots[slot];
	r = vkWaitForFences(vk->dev, 1, &sl->fence, VK_TRUE, UINT64_MAX);
	vkResetFences(vk->dev, 1, &sl->fence);
	sl->busy = 0;
	if (r != VK_SUCCESS)
		return vkfail(e, "vkWaitForFences", r);
	count_time(vk, sl->qpool);
	return 0;
}
